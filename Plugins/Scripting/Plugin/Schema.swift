enum Schema {
    static let v1 = """
        CREATE TABLE scripts (
            id bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            description text NOT NULL DEFAULT '',
            category text NOT NULL DEFAULT '',
            shell text NOT NULL,
            code text NOT NULL,
            args jsonb NOT NULL DEFAULT '[]',
            env_vars jsonb NOT NULL DEFAULT '[]',
            default_timeout integer NOT NULL DEFAULT 90,
            supported_platforms jsonb NOT NULL DEFAULT '[]',
            run_as_user boolean NOT NULL DEFAULT false,
            syntax text NOT NULL DEFAULT '',
            favorite boolean NOT NULL DEFAULT false,
            hidden boolean NOT NULL DEFAULT false,
            created_by text NOT NULL DEFAULT '',
            created_time timestamptz NOT NULL DEFAULT now(),
            modified_by text NOT NULL DEFAULT '',
            modified_time timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE snippets (
            id bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            description text NOT NULL DEFAULT '',
            shell text NOT NULL,
            code text NOT NULL
        );
        -- One bulk action: what it runs and on how many agents; results per agent below.
        CREATE TABLE bulk_runs (
            id bigserial PRIMARY KEY,
            mode text NOT NULL,
            request jsonb NOT NULL,
            total integer NOT NULL,
            username text NOT NULL DEFAULT '',
            created timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE bulk_results (
            bulk_id bigint NOT NULL REFERENCES bulk_runs(id) ON DELETE CASCADE,
            agent_id text NOT NULL,
            hostname text NOT NULL DEFAULT '',
            status text NOT NULL DEFAULT 'pending',
            history_id bigint,
            pending_action_id bigint,
            result jsonb,
            updated timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (bulk_id, agent_id)
        );
        CREATE INDEX bulk_results_history ON bulk_results(history_id) WHERE history_id IS NOT NULL;
        CREATE TABLE tasks (
            id bigserial PRIMARY KEY,
            agent_id text NOT NULL,
            task jsonb NOT NULL,
            created_by text NOT NULL DEFAULT '',
            created_time timestamptz NOT NULL DEFAULT now(),
            onboarded boolean NOT NULL DEFAULT false
        );
        CREATE INDEX tasks_agent ON tasks(agent_id);
        CREATE TABLE task_results (
            task_id bigint NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            agent_id text NOT NULL,
            status text NOT NULL,
            retcode integer NOT NULL,
            stdout text NOT NULL,
            stderr text NOT NULL,
            execution_time double precision NOT NULL,
            last_run timestamptz NOT NULL DEFAULT now(),
            runs integer NOT NULL DEFAULT 1,
            PRIMARY KEY (task_id, agent_id)
        );
        """

    /// The check.failed events that fired check-failure tasks, by the checks plugin's
    /// event_id: the checks plugin publishes recent events again after a restart (its events
    /// die with the process), and a task must not run twice for one failure. An hour is kept;
    /// replays cover minutes.
    static let v3 = """
        CREATE TABLE fired_check_events (
            event_id bigint PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX fired_check_events_at ON fired_check_events (at);
        """
}
