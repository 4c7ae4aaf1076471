/// The plugin's tables, in its own schema. A released version never changes.
enum Schema {
    static let v1 = """
        -- One row per check: an agent's own (agent_id) or a policy's (policy_id).
        CREATE TABLE checks (
            id bigserial PRIMARY KEY,
            agent_id text,
            agent_pk bigint,
            policy_id bigint,
            check_type text NOT NULL CHECK (check_type IN ('diskspace', 'cpuload', 'memory', 'ping', 'script', 'winsvc', 'eventlog')),
            name text NOT NULL DEFAULT '',
            run_interval integer NOT NULL DEFAULT 0,
            alert_severity text NOT NULL DEFAULT 'warning' CHECK (alert_severity IN ('info', 'warning', 'error')),
            email_alert boolean NOT NULL DEFAULT false,
            text_alert boolean NOT NULL DEFAULT false,
            dashboard_alert boolean NOT NULL DEFAULT false,
            fails_b4_alert integer NOT NULL DEFAULT 1,
            error_threshold integer NOT NULL DEFAULT 0,
            warning_threshold integer NOT NULL DEFAULT 0,
            disk text,
            ip text,
            script jsonb,
            script_args jsonb NOT NULL DEFAULT '[]',
            env_vars jsonb NOT NULL DEFAULT '[]',
            info_return_codes jsonb NOT NULL DEFAULT '[]',
            warning_return_codes jsonb NOT NULL DEFAULT '[]',
            success_return_codes jsonb NOT NULL DEFAULT '[]',
            timeout integer,
            svc_name text,
            svc_display_name text,
            pass_if_start_pending boolean NOT NULL DEFAULT false,
            pass_if_svc_not_exist boolean NOT NULL DEFAULT false,
            restart_if_stopped boolean NOT NULL DEFAULT false,
            svc_policy_mode text,
            log_name text,
            event_id integer,
            event_id_is_wildcard boolean NOT NULL DEFAULT false,
            event_type text,
            event_source text,
            event_message text,
            fail_when text,
            search_last_days integer,
            number_of_events_b4_alert integer NOT NULL DEFAULT 1,
            assigned_tasks jsonb NOT NULL DEFAULT '[]',
            created_by text NOT NULL DEFAULT '',
            created_time timestamptz NOT NULL DEFAULT now(),
            modified_by text NOT NULL DEFAULT '',
            modified_time timestamptz NOT NULL DEFAULT now(),
            CHECK ((agent_id IS NULL) <> (policy_id IS NULL))
        );
        CREATE INDEX checks_agent ON checks(agent_id) WHERE agent_id IS NOT NULL;
        CREATE INDEX checks_policy ON checks(policy_id) WHERE policy_id IS NOT NULL;

        -- The latest result per agent and check (Tactical RMM's CheckResult). seq guards
        -- the read-evaluate-write of a result against a concurrent one.
        CREATE TABLE results (
            id bigserial UNIQUE,
            agent_id text NOT NULL,
            check_id bigint NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
            status text NOT NULL DEFAULT 'pending',
            alert_severity text,
            more_info text,
            stdout text,
            stderr text,
            retcode integer,
            execution_time text,
            samples jsonb NOT NULL DEFAULT '[]',
            extra_details jsonb,
            fail_count integer NOT NULL DEFAULT 0,
            alerted boolean NOT NULL DEFAULT false,
            last_run timestamptz,
            seq bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (agent_id, check_id)
        );
        CREATE INDEX results_check ON results(check_id);

        -- Chart points (CheckHistory); pruned by age.
        CREATE TABLE history (
            id bigserial PRIMARY KEY,
            check_id bigint NOT NULL,
            agent_id text NOT NULL,
            x timestamptz NOT NULL DEFAULT now(),
            y integer,
            results jsonb
        );
        CREATE INDEX history_series ON history(check_id, agent_id, x);
        CREATE INDEX history_age ON history USING brin (x);

        -- check.failed / check.resolved, written with the result that caused them and
        -- delivered once (claimed by setting delivered_time).
        CREATE TABLE outbox (
            id bigserial PRIMARY KEY,
            event text NOT NULL,
            payload jsonb NOT NULL,
            created_time timestamptz NOT NULL DEFAULT now(),
            delivered_time timestamptz
        );
        CREATE INDEX outbox_pending ON outbox(id) WHERE delivered_time IS NULL;
        """

    /// The outbox by delivery time, for the replay at start (Outbox.swift): transitions
    /// only, so the index costs little.
    static let v2 = """
        CREATE INDEX outbox_delivered ON outbox (delivered_time) WHERE delivered_time IS NOT NULL;
        """
}
