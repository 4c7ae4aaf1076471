extension CoreMigrations {
    /// Scripting's host side: the global key store that `{{global.<name>}}` reads, agent notes,
    /// and what to do with a run's output once the agent reports it.
    static let v6 = Migration(
        version: 6, name: "global key store, agent notes, history result sinks",
        sql: """
            CREATE TABLE global_keystore (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE,
                value text NOT NULL DEFAULT '',
                created_by text NOT NULL DEFAULT '',
                created_time timestamptz NOT NULL DEFAULT now(),
                modified_by text NOT NULL DEFAULT '',
                modified_time timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE agent_notes (
                id bigserial PRIMARY KEY,
                agent_id text NOT NULL REFERENCES agents(agent_id) ON DELETE CASCADE,
                username text NOT NULL DEFAULT '',
                note text NOT NULL,
                entry_time timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX agent_notes_agent ON agent_notes(agent_id, id DESC);
            -- {"note": true} and/or {"custom_field": "<name>", "all_output": bool}: applied once,
            -- by whichever result arrives first (the NATS reply or the agent's histresult), then cleared.
            ALTER TABLE agent_history ADD COLUMN save_result jsonb;
            """)
}
