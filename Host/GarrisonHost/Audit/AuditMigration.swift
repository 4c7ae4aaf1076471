extension CoreMigrations {
    /// Audit rows carry the client and site they concern, so the log is filtered by the
    /// reader's role scope like every other list. Rows about an agent take its client and site
    /// when written; rows from before this migration get them from the agent, if it still exists.
    static let v7 = Migration(
        version: 7, name: "audit log: client and site of each entry",
        sql: """
            ALTER TABLE audit_log ADD COLUMN client_id bigint, ADD COLUMN site_id bigint;
            UPDATE audit_log l SET client_id = a.client_id, site_id = a.site_id FROM agents a WHERE a.agent_id = l.agent_id;
            CREATE INDEX audit_log_client ON audit_log(client_id, entry_time DESC) WHERE client_id IS NOT NULL;
            """)
}
