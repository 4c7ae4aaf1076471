/// The plugin's tables, in its own schema (plugin_winupdate). A released version never changes.
enum Schema {
    static let v1 = """
        -- One row per agent and WUA update (Tactical RMM's WinUpdate); guid is the UpdateID.
        CREATE TABLE updates (
            id bigserial PRIMARY KEY,
            agent_id text NOT NULL,
            agent_pk bigint NOT NULL,
            guid text NOT NULL,
            kb text NOT NULL DEFAULT '',
            title text NOT NULL DEFAULT '',
            description text NOT NULL DEFAULT '',
            installed boolean NOT NULL DEFAULT false,
            downloaded boolean NOT NULL DEFAULT false,
            severity text NOT NULL DEFAULT '',
            categories jsonb NOT NULL DEFAULT '[]',
            category_ids jsonb NOT NULL DEFAULT '[]',
            kb_article_ids jsonb NOT NULL DEFAULT '[]',
            more_info_urls jsonb NOT NULL DEFAULT '[]',
            support_url text NOT NULL DEFAULT '',
            revision_number integer,
            action text NOT NULL DEFAULT 'nothing' CHECK (action IN ('nothing', 'approve', 'ignore', 'inherit')),
            result text NOT NULL DEFAULT 'n/a',
            date_installed timestamptz,
            UNIQUE (agent_id, guid)
        );
        CREATE INDEX updates_agent ON updates(agent_id, id);
        CREATE INDEX updates_approved ON updates(agent_id) WHERE action = 'approve' AND NOT installed;

        -- Patch policies (WinUpdatePolicy): an agent's own (agent_id) or an automation policy's.
        CREATE TABLE policies (
            id bigserial PRIMARY KEY,
            agent_id text UNIQUE,
            agent_pk bigint,
            policy_id bigint UNIQUE,
            critical text NOT NULL DEFAULT 'inherit' CHECK (critical IN ('manual', 'approve', 'ignore', 'inherit')),
            important text NOT NULL DEFAULT 'inherit' CHECK (important IN ('manual', 'approve', 'ignore', 'inherit')),
            moderate text NOT NULL DEFAULT 'inherit' CHECK (moderate IN ('manual', 'approve', 'ignore', 'inherit')),
            low text NOT NULL DEFAULT 'inherit' CHECK (low IN ('manual', 'approve', 'ignore', 'inherit')),
            other text NOT NULL DEFAULT 'inherit' CHECK (other IN ('manual', 'approve', 'ignore', 'inherit')),
            run_time_hour integer NOT NULL DEFAULT 3 CHECK (run_time_hour BETWEEN 0 AND 23),
            run_time_frequency text NOT NULL DEFAULT 'inherit' CHECK (run_time_frequency IN ('daily', 'monthly', 'inherit')),
            run_time_days jsonb NOT NULL DEFAULT '[]',
            run_time_day integer NOT NULL DEFAULT 1 CHECK (run_time_day BETWEEN 1 AND 31),
            reboot_after_install text NOT NULL DEFAULT 'inherit' CHECK (reboot_after_install IN ('never', 'required', 'always', 'inherit')),
            reprocess_failed_inherit boolean NOT NULL DEFAULT true,
            reprocess_failed boolean NOT NULL DEFAULT false,
            reprocess_failed_times integer NOT NULL DEFAULT 5,
            email_if_fail boolean NOT NULL DEFAULT false,
            created_by text NOT NULL DEFAULT '',
            created_time timestamptz NOT NULL DEFAULT now(),
            modified_by text NOT NULL DEFAULT '',
            modified_time timestamptz NOT NULL DEFAULT now(),
            CHECK ((agent_id IS NULL) <> (policy_id IS NULL))
        );

        -- What Tactical RMM keeps on the agent row: the last scheduled install (the
        -- once-per-local-day guard) and the agent's last needs_reboot report.
        CREATE TABLE agent_state (
            agent_id text PRIMARY KEY,
            patches_last_installed timestamptz,
            needs_reboot boolean NOT NULL DEFAULT false
        );
        """
}
