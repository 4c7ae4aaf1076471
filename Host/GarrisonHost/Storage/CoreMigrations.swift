/// The host's own schema, versioned. A migration never changes once released; fixes are new versions.
public enum CoreMigrations {
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "core objects, operators, audit log",
            sql: """
                CREATE TABLE clients (
                    id bigserial PRIMARY KEY,
                    name text NOT NULL UNIQUE,
                    block_policy_inheritance boolean NOT NULL DEFAULT false,
                    custom_fields jsonb NOT NULL DEFAULT '{}',
                    created_by text NOT NULL DEFAULT '',
                    created_time timestamptz NOT NULL DEFAULT now(),
                    modified_by text NOT NULL DEFAULT '',
                    modified_time timestamptz NOT NULL DEFAULT now()
                );
                CREATE TABLE sites (
                    id bigserial PRIMARY KEY,
                    client_id bigint NOT NULL REFERENCES clients(id) ON DELETE RESTRICT,
                    name text NOT NULL,
                    block_policy_inheritance boolean NOT NULL DEFAULT false,
                    custom_fields jsonb NOT NULL DEFAULT '{}',
                    created_by text NOT NULL DEFAULT '',
                    created_time timestamptz NOT NULL DEFAULT now(),
                    modified_by text NOT NULL DEFAULT '',
                    modified_time timestamptz NOT NULL DEFAULT now(),
                    UNIQUE (client_id, name)
                );
                CREATE INDEX sites_client ON sites(client_id);
                CREATE TABLE agents (
                    id bigserial PRIMARY KEY,
                    agent_id text NOT NULL UNIQUE,
                    site_id bigint NOT NULL REFERENCES sites(id) ON DELETE RESTRICT,
                    -- Denormalized from sites so the agent table filters by client with one index.
                    client_id bigint NOT NULL REFERENCES clients(id) ON DELETE RESTRICT,
                    hostname text NOT NULL,
                    description text NOT NULL DEFAULT '',
                    monitoring_type text NOT NULL DEFAULT 'server' CHECK (monitoring_type IN ('server', 'workstation')),
                    plat text NOT NULL DEFAULT 'windows',
                    goarch text NOT NULL DEFAULT '',
                    operating_system text NOT NULL DEFAULT '',
                    version text NOT NULL DEFAULT '',
                    public_ip text NOT NULL DEFAULT '',
                    total_ram integer,
                    boot_time double precision,
                    logged_in_username text NOT NULL DEFAULT '',
                    last_logged_in_user text NOT NULL DEFAULT '',
                    needs_reboot boolean NOT NULL DEFAULT false,
                    last_seen timestamptz,
                    offline_time integer NOT NULL DEFAULT 4,
                    overdue_time integer NOT NULL DEFAULT 30,
                    check_interval integer NOT NULL DEFAULT 120,
                    overdue_email_alert boolean NOT NULL DEFAULT false,
                    overdue_text_alert boolean NOT NULL DEFAULT false,
                    overdue_dashboard_alert boolean NOT NULL DEFAULT false,
                    maintenance_mode boolean NOT NULL DEFAULT false,
                    block_policy_inheritance boolean NOT NULL DEFAULT false,
                    time_zone text,
                    mesh_node_id text NOT NULL DEFAULT '',
                    disks jsonb NOT NULL DEFAULT '[]',
                    services jsonb NOT NULL DEFAULT '[]',
                    wmi_detail jsonb NOT NULL DEFAULT '{}',
                    custom_fields jsonb NOT NULL DEFAULT '{}',
                    token_digest text UNIQUE,
                    created_time timestamptz NOT NULL DEFAULT now(),
                    modified_time timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX agents_client_hostname ON agents(client_id, hostname, id);
                CREATE INDEX agents_site_hostname ON agents(site_id, hostname, id);
                CREATE INDEX agents_hostname ON agents(hostname, id);

                CREATE TABLE roles (
                    id bigserial PRIMARY KEY,
                    name text NOT NULL UNIQUE,
                    is_superuser boolean NOT NULL DEFAULT false,
                    permissions text[] NOT NULL DEFAULT '{}',
                    can_view_clients bigint[] NOT NULL DEFAULT '{}',
                    can_view_sites bigint[] NOT NULL DEFAULT '{}',
                    created_by text NOT NULL DEFAULT '',
                    created_time timestamptz NOT NULL DEFAULT now(),
                    modified_time timestamptz NOT NULL DEFAULT now()
                );
                CREATE TABLE users (
                    id bigserial PRIMARY KEY,
                    username text NOT NULL UNIQUE,
                    email text NOT NULL DEFAULT '',
                    first_name text NOT NULL DEFAULT '',
                    last_name text NOT NULL DEFAULT '',
                    password_hash text NOT NULL,
                    is_active boolean NOT NULL DEFAULT true,
                    is_superuser boolean NOT NULL DEFAULT false,
                    role_id bigint REFERENCES roles(id) ON DELETE SET NULL,
                    block_dashboard_login boolean NOT NULL DEFAULT false,
                    is_installer_user boolean NOT NULL DEFAULT false,
                    last_login timestamptz,
                    last_login_ip text,
                    date_joined timestamptz NOT NULL DEFAULT now()
                );
                CREATE TABLE auth_tokens (
                    id bigserial PRIMARY KEY,
                    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    digest text NOT NULL UNIQUE,
                    token_prefix text NOT NULL,
                    scope text,
                    created timestamptz NOT NULL DEFAULT now(),
                    expiry timestamptz NOT NULL,
                    source_ip text NOT NULL DEFAULT '',
                    user_agent text NOT NULL DEFAULT ''
                );
                CREATE INDEX auth_tokens_user ON auth_tokens(user_id);
                CREATE TABLE api_keys (
                    id bigserial PRIMARY KEY,
                    name text NOT NULL UNIQUE,
                    digest text NOT NULL UNIQUE,
                    key_prefix text NOT NULL,
                    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    expiration timestamptz,
                    created_by text NOT NULL DEFAULT '',
                    created_time timestamptz NOT NULL DEFAULT now(),
                    modified_time timestamptz NOT NULL DEFAULT now()
                );

                CREATE TABLE audit_log (
                    id bigserial PRIMARY KEY,
                    username text NOT NULL,
                    agent text,
                    agent_id text,
                    entry_time timestamptz NOT NULL DEFAULT now(),
                    action text NOT NULL,
                    object_type text NOT NULL,
                    before_value jsonb,
                    after_value jsonb,
                    message text,
                    debug_info jsonb,
                    ip_address text
                );
                CREATE INDEX audit_log_time ON audit_log(entry_time DESC, id DESC);
                CREATE INDEX audit_log_user ON audit_log(username, entry_time DESC);

                CREATE TABLE core_settings (
                    id integer PRIMARY KEY CHECK (id = 1),
                    settings jsonb NOT NULL DEFAULT '{}',
                    modified_time timestamptz NOT NULL DEFAULT now()
                );
                INSERT INTO core_settings (id, settings) VALUES (1, '{}');
                """),
        Migration(
            version: 2, name: "scheduler: schedules and job runs",
            sql: """
                CREATE TABLE schedules (
                    id text PRIMARY KEY,
                    owner text NOT NULL,
                    kind text NOT NULL,
                    spec jsonb NOT NULL,
                    payload jsonb NOT NULL DEFAULT '{}',
                    agent_id text,
                    enabled boolean NOT NULL DEFAULT true,
                    max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
                    anchor timestamptz NOT NULL DEFAULT now(),
                    next_run timestamptz,
                    last_run timestamptz,
                    last_status text,
                    last_result jsonb,
                    last_error text,
                    failures integer NOT NULL DEFAULT 0,
                    runs integer NOT NULL DEFAULT 0,
                    created_time timestamptz NOT NULL DEFAULT now(),
                    modified_time timestamptz NOT NULL DEFAULT now()
                );
                CREATE INDEX schedules_due ON schedules(next_run) WHERE enabled AND next_run IS NOT NULL;
                CREATE TABLE job_runs (
                    id bigserial PRIMARY KEY,
                    schedule_id text REFERENCES schedules(id) ON DELETE CASCADE,
                    owner text NOT NULL,
                    kind text NOT NULL,
                    payload jsonb NOT NULL DEFAULT '{}',
                    agent_id text,
                    due_at timestamptz NOT NULL,
                    not_before timestamptz NOT NULL,
                    expires_at timestamptz,
                    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'expired', 'cancelled')),
                    attempt integer NOT NULL DEFAULT 0,
                    max_attempts integer NOT NULL DEFAULT 3,
                    lease_owner text,
                    lease_until timestamptz,
                    started_at timestamptz,
                    finished_at timestamptz,
                    result jsonb,
                    error text
                );
                CREATE INDEX job_runs_ready ON job_runs(not_before) WHERE state = 'pending';
                CREATE INDEX job_runs_leases ON job_runs(lease_until) WHERE state = 'running';
                -- At most one open run per schedule: a schedule never runs twice at once, and an
                -- agent that was away gets one catch-up run, not a backlog.
                CREATE UNIQUE INDEX job_runs_one_open ON job_runs(schedule_id) WHERE state IN ('pending', 'running') AND schedule_id IS NOT NULL;
                CREATE INDEX job_runs_history ON job_runs(schedule_id, id DESC);
                CREATE INDEX job_runs_finished ON job_runs(finished_at) WHERE finished_at IS NOT NULL;
                """),
        Migration(
            version: 3, name: "agents: NATS password",
            sql: """
                -- bcrypt of the agent's token, for its user in the generated nats-server config. The
                -- token itself is never stored (token_digest is for REST); this is set at enrollment.
                ALTER TABLE agents ADD COLUMN nats_password text;
                """),
        Migration(
            version: 4, name: "agent commands: history, pending actions, status transitions, software, installers",
            sql: """
                -- Every command sent to an agent, with its result when one comes back (NATS reply or
                -- the agent's histresult PATCH). `id` is what the agent echoes in histresult.
                CREATE TABLE agent_history (
                    id bigserial PRIMARY KEY,
                    agent_id text NOT NULL REFERENCES agents(agent_id) ON DELETE CASCADE,
                    time timestamptz NOT NULL DEFAULT now(),
                    type text NOT NULL CHECK (type IN ('cmd_run', 'script_run', 'task_run', 'command')),
                    command text NOT NULL DEFAULT '',
                    username text NOT NULL DEFAULT '',
                    script_name text NOT NULL DEFAULT '',
                    origin text NOT NULL DEFAULT '',
                    status text NOT NULL DEFAULT 'sent',
                    results text,
                    script_results jsonb,
                    finished timestamptz
                );
                CREATE INDEX agent_history_agent ON agent_history(agent_id, id DESC);
                CREATE INDEX agent_history_time ON agent_history(time);
                -- Commands for agents that were offline, delivered in id order when they are next seen.
                CREATE TABLE pending_actions (
                    id bigserial PRIMARY KEY,
                    agent_id text NOT NULL REFERENCES agents(agent_id) ON DELETE CASCADE,
                    action_type text NOT NULL,
                    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'cancelled', 'expired')),
                    command jsonb NOT NULL,
                    details jsonb NOT NULL DEFAULT '{}',
                    history_id bigint REFERENCES agent_history(id) ON DELETE SET NULL,
                    username text NOT NULL DEFAULT '',
                    created timestamptz NOT NULL DEFAULT now(),
                    not_before timestamptz NOT NULL DEFAULT now(),
                    expires_at timestamptz,
                    delivered timestamptz,
                    results text
                );
                CREATE INDEX pending_actions_open ON pending_actions(agent_id, id) WHERE status = 'pending';
                -- The last status announced as an event, so agent.online/offline/overdue are raised
                -- once per transition whichever host notices it.
                ALTER TABLE agents ADD COLUMN status_announced text;
                ALTER TABLE agents ADD COLUMN choco_installed boolean NOT NULL DEFAULT false;
                CREATE TABLE agent_software (
                    agent_id text PRIMARY KEY REFERENCES agents(agent_id) ON DELETE CASCADE,
                    software jsonb NOT NULL DEFAULT '[]',
                    modified_time timestamptz NOT NULL DEFAULT now()
                );
                -- Deployment links: an anonymous URL that yields the install command for one site
                -- until it expires; the installer token it carries expires with it.
                CREATE TABLE deployments (
                    id bigserial PRIMARY KEY,
                    uid uuid NOT NULL UNIQUE,
                    site_id bigint NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
                    mon_type text NOT NULL DEFAULT 'server' CHECK (mon_type IN ('server', 'workstation')),
                    goarch text NOT NULL DEFAULT 'amd64',
                    expiry timestamptz NOT NULL,
                    install_flags jsonb NOT NULL DEFAULT '{}',
                    created_by bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_time timestamptz NOT NULL DEFAULT now()
                );
                -- Each download of a link mints its own installer token (no secret is stored with
                -- the link); deleting the link revokes them all.
                ALTER TABLE auth_tokens ADD COLUMN deployment_id bigint REFERENCES deployments(id) ON DELETE CASCADE;
                """),
        AutomationMigration.policies,
        v6,
        v7,
        v8,
        CustomFieldMigration.v9,
        v10,
        ClusterMigration.v11,
        v12,
        v13,
    ]
}
