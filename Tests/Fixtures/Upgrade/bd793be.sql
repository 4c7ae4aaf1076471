--
-- PostgreSQL database dump
--

\restrict 4veLiVxSf1AjNOFQChqkh0kTSvxhXabLxS77uNLqQ0jteEu3FahUpyvdnKhSOVr

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: plugin_check; Type: SCHEMA; Schema: -; Owner: plugin_check
--

CREATE SCHEMA plugin_check;


ALTER SCHEMA plugin_check OWNER TO plugin_check;

--
-- Name: plugin_scripting; Type: SCHEMA; Schema: -; Owner: plugin_scripting
--

CREATE SCHEMA plugin_scripting;


ALTER SCHEMA plugin_scripting OWNER TO plugin_scripting;

--
-- Name: plugin_twofactor; Type: SCHEMA; Schema: -; Owner: plugin_twofactor
--

CREATE SCHEMA plugin_twofactor;


ALTER SCHEMA plugin_twofactor OWNER TO plugin_twofactor;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: checks; Type: TABLE; Schema: plugin_check; Owner: plugin_check
--

CREATE TABLE plugin_check.checks (
    id bigint NOT NULL,
    agent_id text,
    agent_pk bigint,
    policy_id bigint,
    check_type text NOT NULL,
    name text DEFAULT ''::text NOT NULL,
    run_interval integer DEFAULT 0 NOT NULL,
    alert_severity text DEFAULT 'warning'::text NOT NULL,
    email_alert boolean DEFAULT false NOT NULL,
    text_alert boolean DEFAULT false NOT NULL,
    dashboard_alert boolean DEFAULT false NOT NULL,
    fails_b4_alert integer DEFAULT 1 NOT NULL,
    error_threshold integer DEFAULT 0 NOT NULL,
    warning_threshold integer DEFAULT 0 NOT NULL,
    disk text,
    ip text,
    script jsonb,
    script_args jsonb DEFAULT '[]'::jsonb NOT NULL,
    env_vars jsonb DEFAULT '[]'::jsonb NOT NULL,
    info_return_codes jsonb DEFAULT '[]'::jsonb NOT NULL,
    warning_return_codes jsonb DEFAULT '[]'::jsonb NOT NULL,
    success_return_codes jsonb DEFAULT '[]'::jsonb NOT NULL,
    timeout integer,
    svc_name text,
    svc_display_name text,
    pass_if_start_pending boolean DEFAULT false NOT NULL,
    pass_if_svc_not_exist boolean DEFAULT false NOT NULL,
    restart_if_stopped boolean DEFAULT false NOT NULL,
    svc_policy_mode text,
    log_name text,
    event_id integer,
    event_id_is_wildcard boolean DEFAULT false NOT NULL,
    event_type text,
    event_source text,
    event_message text,
    fail_when text,
    search_last_days integer,
    number_of_events_b4_alert integer DEFAULT 1 NOT NULL,
    assigned_tasks jsonb DEFAULT '[]'::jsonb NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_by text DEFAULT ''::text NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT checks_alert_severity_check CHECK ((alert_severity = ANY (ARRAY['info'::text, 'warning'::text, 'error'::text]))),
    CONSTRAINT checks_check CHECK (((agent_id IS NULL) <> (policy_id IS NULL))),
    CONSTRAINT checks_check_type_check CHECK ((check_type = ANY (ARRAY['diskspace'::text, 'cpuload'::text, 'memory'::text, 'ping'::text, 'script'::text, 'winsvc'::text, 'eventlog'::text])))
);


ALTER TABLE plugin_check.checks OWNER TO plugin_check;

--
-- Name: checks_id_seq; Type: SEQUENCE; Schema: plugin_check; Owner: plugin_check
--

CREATE SEQUENCE plugin_check.checks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_check.checks_id_seq OWNER TO plugin_check;

--
-- Name: checks_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_check; Owner: plugin_check
--

ALTER SEQUENCE plugin_check.checks_id_seq OWNED BY plugin_check.checks.id;


--
-- Name: history; Type: TABLE; Schema: plugin_check; Owner: plugin_check
--

CREATE TABLE plugin_check.history (
    id bigint NOT NULL,
    check_id bigint NOT NULL,
    agent_id text NOT NULL,
    x timestamp with time zone DEFAULT now() NOT NULL,
    y integer,
    results jsonb
);


ALTER TABLE plugin_check.history OWNER TO plugin_check;

--
-- Name: history_id_seq; Type: SEQUENCE; Schema: plugin_check; Owner: plugin_check
--

CREATE SEQUENCE plugin_check.history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_check.history_id_seq OWNER TO plugin_check;

--
-- Name: history_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_check; Owner: plugin_check
--

ALTER SEQUENCE plugin_check.history_id_seq OWNED BY plugin_check.history.id;


--
-- Name: outbox; Type: TABLE; Schema: plugin_check; Owner: plugin_check
--

CREATE TABLE plugin_check.outbox (
    id bigint NOT NULL,
    event text NOT NULL,
    payload jsonb NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    delivered_time timestamp with time zone
);


ALTER TABLE plugin_check.outbox OWNER TO plugin_check;

--
-- Name: outbox_id_seq; Type: SEQUENCE; Schema: plugin_check; Owner: plugin_check
--

CREATE SEQUENCE plugin_check.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_check.outbox_id_seq OWNER TO plugin_check;

--
-- Name: outbox_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_check; Owner: plugin_check
--

ALTER SEQUENCE plugin_check.outbox_id_seq OWNED BY plugin_check.outbox.id;


--
-- Name: results; Type: TABLE; Schema: plugin_check; Owner: plugin_check
--

CREATE TABLE plugin_check.results (
    id bigint NOT NULL,
    agent_id text NOT NULL,
    check_id bigint NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    alert_severity text,
    more_info text,
    stdout text,
    stderr text,
    retcode integer,
    execution_time text,
    samples jsonb DEFAULT '[]'::jsonb NOT NULL,
    extra_details jsonb,
    fail_count integer DEFAULT 0 NOT NULL,
    alerted boolean DEFAULT false NOT NULL,
    last_run timestamp with time zone,
    seq bigint DEFAULT 0 NOT NULL
);


ALTER TABLE plugin_check.results OWNER TO plugin_check;

--
-- Name: results_id_seq; Type: SEQUENCE; Schema: plugin_check; Owner: plugin_check
--

CREATE SEQUENCE plugin_check.results_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_check.results_id_seq OWNER TO plugin_check;

--
-- Name: results_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_check; Owner: plugin_check
--

ALTER SEQUENCE plugin_check.results_id_seq OWNED BY plugin_check.results.id;


--
-- Name: bulk_results; Type: TABLE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE TABLE plugin_scripting.bulk_results (
    bulk_id bigint NOT NULL,
    agent_id text NOT NULL,
    hostname text DEFAULT ''::text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    history_id bigint,
    pending_action_id bigint,
    result jsonb,
    updated timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE plugin_scripting.bulk_results OWNER TO plugin_scripting;

--
-- Name: bulk_runs; Type: TABLE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE TABLE plugin_scripting.bulk_runs (
    id bigint NOT NULL,
    mode text NOT NULL,
    request jsonb NOT NULL,
    total integer NOT NULL,
    username text DEFAULT ''::text NOT NULL,
    created timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE plugin_scripting.bulk_runs OWNER TO plugin_scripting;

--
-- Name: bulk_runs_id_seq; Type: SEQUENCE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE SEQUENCE plugin_scripting.bulk_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_scripting.bulk_runs_id_seq OWNER TO plugin_scripting;

--
-- Name: bulk_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER SEQUENCE plugin_scripting.bulk_runs_id_seq OWNED BY plugin_scripting.bulk_runs.id;


--
-- Name: scripts; Type: TABLE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE TABLE plugin_scripting.scripts (
    id bigint NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    category text DEFAULT ''::text NOT NULL,
    shell text NOT NULL,
    code text NOT NULL,
    args jsonb DEFAULT '[]'::jsonb NOT NULL,
    env_vars jsonb DEFAULT '[]'::jsonb NOT NULL,
    default_timeout integer DEFAULT 90 NOT NULL,
    supported_platforms jsonb DEFAULT '[]'::jsonb NOT NULL,
    run_as_user boolean DEFAULT false NOT NULL,
    syntax text DEFAULT ''::text NOT NULL,
    favorite boolean DEFAULT false NOT NULL,
    hidden boolean DEFAULT false NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_by text DEFAULT ''::text NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE plugin_scripting.scripts OWNER TO plugin_scripting;

--
-- Name: scripts_id_seq; Type: SEQUENCE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE SEQUENCE plugin_scripting.scripts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_scripting.scripts_id_seq OWNER TO plugin_scripting;

--
-- Name: scripts_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER SEQUENCE plugin_scripting.scripts_id_seq OWNED BY plugin_scripting.scripts.id;


--
-- Name: snippets; Type: TABLE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE TABLE plugin_scripting.snippets (
    id bigint NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    shell text NOT NULL,
    code text NOT NULL
);


ALTER TABLE plugin_scripting.snippets OWNER TO plugin_scripting;

--
-- Name: snippets_id_seq; Type: SEQUENCE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE SEQUENCE plugin_scripting.snippets_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_scripting.snippets_id_seq OWNER TO plugin_scripting;

--
-- Name: snippets_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER SEQUENCE plugin_scripting.snippets_id_seq OWNED BY plugin_scripting.snippets.id;


--
-- Name: task_results; Type: TABLE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE TABLE plugin_scripting.task_results (
    task_id bigint NOT NULL,
    agent_id text NOT NULL,
    status text NOT NULL,
    retcode integer NOT NULL,
    stdout text NOT NULL,
    stderr text NOT NULL,
    execution_time double precision NOT NULL,
    last_run timestamp with time zone DEFAULT now() NOT NULL,
    runs integer DEFAULT 1 NOT NULL
);


ALTER TABLE plugin_scripting.task_results OWNER TO plugin_scripting;

--
-- Name: tasks; Type: TABLE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE TABLE plugin_scripting.tasks (
    id bigint NOT NULL,
    agent_id text NOT NULL,
    task jsonb NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    onboarded boolean DEFAULT false NOT NULL
);


ALTER TABLE plugin_scripting.tasks OWNER TO plugin_scripting;

--
-- Name: tasks_id_seq; Type: SEQUENCE; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE SEQUENCE plugin_scripting.tasks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_scripting.tasks_id_seq OWNER TO plugin_scripting;

--
-- Name: tasks_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER SEQUENCE plugin_scripting.tasks_id_seq OWNED BY plugin_scripting.tasks.id;


--
-- Name: failures; Type: TABLE; Schema: plugin_twofactor; Owner: plugin_twofactor
--

CREATE TABLE plugin_twofactor.failures (
    user_id integer NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE plugin_twofactor.failures OWNER TO plugin_twofactor;

--
-- Name: recovery_codes; Type: TABLE; Schema: plugin_twofactor; Owner: plugin_twofactor
--

CREATE TABLE plugin_twofactor.recovery_codes (
    id integer NOT NULL,
    user_id integer NOT NULL,
    salt text NOT NULL,
    hash text NOT NULL,
    used_at timestamp with time zone
);


ALTER TABLE plugin_twofactor.recovery_codes OWNER TO plugin_twofactor;

--
-- Name: recovery_codes_id_seq; Type: SEQUENCE; Schema: plugin_twofactor; Owner: plugin_twofactor
--

CREATE SEQUENCE plugin_twofactor.recovery_codes_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE plugin_twofactor.recovery_codes_id_seq OWNER TO plugin_twofactor;

--
-- Name: recovery_codes_id_seq; Type: SEQUENCE OWNED BY; Schema: plugin_twofactor; Owner: plugin_twofactor
--

ALTER SEQUENCE plugin_twofactor.recovery_codes_id_seq OWNED BY plugin_twofactor.recovery_codes.id;


--
-- Name: totp; Type: TABLE; Schema: plugin_twofactor; Owner: plugin_twofactor
--

CREATE TABLE plugin_twofactor.totp (
    user_id integer NOT NULL,
    username text NOT NULL,
    secret text NOT NULL,
    confirmed boolean DEFAULT false NOT NULL,
    last_step bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    confirmed_at timestamp with time zone
);


ALTER TABLE plugin_twofactor.totp OWNER TO plugin_twofactor;

--
-- Name: agent_history; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.agent_history (
    id bigint NOT NULL,
    agent_id text NOT NULL,
    "time" timestamp with time zone DEFAULT now() NOT NULL,
    type text NOT NULL,
    command text DEFAULT ''::text NOT NULL,
    username text DEFAULT ''::text NOT NULL,
    script_name text DEFAULT ''::text NOT NULL,
    origin text DEFAULT ''::text NOT NULL,
    status text DEFAULT 'sent'::text NOT NULL,
    results text,
    script_results jsonb,
    finished timestamp with time zone,
    save_result jsonb,
    CONSTRAINT agent_history_type_check CHECK ((type = ANY (ARRAY['cmd_run'::text, 'script_run'::text, 'task_run'::text, 'command'::text])))
);


ALTER TABLE public.agent_history OWNER TO garrison;

--
-- Name: agent_history_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.agent_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.agent_history_id_seq OWNER TO garrison;

--
-- Name: agent_history_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.agent_history_id_seq OWNED BY public.agent_history.id;


--
-- Name: agent_notes; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.agent_notes (
    id bigint NOT NULL,
    agent_id text NOT NULL,
    username text DEFAULT ''::text NOT NULL,
    note text NOT NULL,
    entry_time timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.agent_notes OWNER TO garrison;

--
-- Name: agent_notes_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.agent_notes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.agent_notes_id_seq OWNER TO garrison;

--
-- Name: agent_notes_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.agent_notes_id_seq OWNED BY public.agent_notes.id;


--
-- Name: agent_software; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.agent_software (
    agent_id text NOT NULL,
    software jsonb DEFAULT '[]'::jsonb NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.agent_software OWNER TO garrison;

--
-- Name: agents; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.agents (
    id bigint NOT NULL,
    agent_id text NOT NULL,
    site_id bigint NOT NULL,
    client_id bigint NOT NULL,
    hostname text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    monitoring_type text DEFAULT 'server'::text NOT NULL,
    plat text DEFAULT 'windows'::text NOT NULL,
    goarch text DEFAULT ''::text NOT NULL,
    operating_system text DEFAULT ''::text NOT NULL,
    version text DEFAULT ''::text NOT NULL,
    public_ip text DEFAULT ''::text NOT NULL,
    total_ram integer,
    boot_time double precision,
    logged_in_username text DEFAULT ''::text NOT NULL,
    last_logged_in_user text DEFAULT ''::text NOT NULL,
    needs_reboot boolean DEFAULT false NOT NULL,
    last_seen timestamp with time zone,
    offline_time integer DEFAULT 4 NOT NULL,
    overdue_time integer DEFAULT 30 NOT NULL,
    check_interval integer DEFAULT 120 NOT NULL,
    overdue_email_alert boolean DEFAULT false NOT NULL,
    overdue_text_alert boolean DEFAULT false NOT NULL,
    overdue_dashboard_alert boolean DEFAULT false NOT NULL,
    maintenance_mode boolean DEFAULT false NOT NULL,
    block_policy_inheritance boolean DEFAULT false NOT NULL,
    time_zone text,
    mesh_node_id text DEFAULT ''::text NOT NULL,
    disks jsonb DEFAULT '[]'::jsonb NOT NULL,
    services jsonb DEFAULT '[]'::jsonb NOT NULL,
    wmi_detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    custom_fields jsonb DEFAULT '{}'::jsonb NOT NULL,
    token_digest text,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL,
    nats_password text,
    status_announced text,
    choco_installed boolean DEFAULT false NOT NULL,
    policy_id bigint,
    CONSTRAINT agents_monitoring_type_check CHECK ((monitoring_type = ANY (ARRAY['server'::text, 'workstation'::text])))
);


ALTER TABLE public.agents OWNER TO garrison;

--
-- Name: agents_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.agents_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.agents_id_seq OWNER TO garrison;

--
-- Name: agents_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.agents_id_seq OWNED BY public.agents.id;


--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.api_keys (
    id bigint NOT NULL,
    name text NOT NULL,
    digest text NOT NULL,
    key_prefix text NOT NULL,
    user_id bigint NOT NULL,
    expiration timestamp with time zone,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.api_keys OWNER TO garrison;

--
-- Name: api_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.api_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.api_keys_id_seq OWNER TO garrison;

--
-- Name: api_keys_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.api_keys_id_seq OWNED BY public.api_keys.id;


--
-- Name: audit_log; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    username text NOT NULL,
    agent text,
    agent_id text,
    entry_time timestamp with time zone DEFAULT now() NOT NULL,
    action text NOT NULL,
    object_type text NOT NULL,
    before_value jsonb,
    after_value jsonb,
    message text,
    debug_info jsonb,
    ip_address text
);


ALTER TABLE public.audit_log OWNER TO garrison;

--
-- Name: audit_log_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.audit_log_id_seq OWNER TO garrison;

--
-- Name: audit_log_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.audit_log_id_seq OWNED BY public.audit_log.id;


--
-- Name: auth_tokens; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.auth_tokens (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    digest text NOT NULL,
    token_prefix text NOT NULL,
    scope text,
    created timestamp with time zone DEFAULT now() NOT NULL,
    expiry timestamp with time zone NOT NULL,
    source_ip text DEFAULT ''::text NOT NULL,
    user_agent text DEFAULT ''::text NOT NULL,
    deployment_id bigint
);


ALTER TABLE public.auth_tokens OWNER TO garrison;

--
-- Name: auth_tokens_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.auth_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.auth_tokens_id_seq OWNER TO garrison;

--
-- Name: auth_tokens_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.auth_tokens_id_seq OWNED BY public.auth_tokens.id;


--
-- Name: clients; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.clients (
    id bigint NOT NULL,
    name text NOT NULL,
    block_policy_inheritance boolean DEFAULT false NOT NULL,
    custom_fields jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_by text DEFAULT ''::text NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL,
    workstation_policy bigint,
    server_policy bigint
);


ALTER TABLE public.clients OWNER TO garrison;

--
-- Name: clients_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.clients_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.clients_id_seq OWNER TO garrison;

--
-- Name: clients_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.clients_id_seq OWNED BY public.clients.id;


--
-- Name: core_settings; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.core_settings (
    id integer NOT NULL,
    settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT core_settings_id_check CHECK ((id = 1))
);


ALTER TABLE public.core_settings OWNER TO garrison;

--
-- Name: deployments; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.deployments (
    id bigint NOT NULL,
    uid uuid NOT NULL,
    site_id bigint NOT NULL,
    mon_type text DEFAULT 'server'::text NOT NULL,
    goarch text DEFAULT 'amd64'::text NOT NULL,
    expiry timestamp with time zone NOT NULL,
    install_flags jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_by bigint NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT deployments_mon_type_check CHECK ((mon_type = ANY (ARRAY['server'::text, 'workstation'::text])))
);


ALTER TABLE public.deployments OWNER TO garrison;

--
-- Name: deployments_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.deployments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.deployments_id_seq OWNER TO garrison;

--
-- Name: deployments_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.deployments_id_seq OWNED BY public.deployments.id;


--
-- Name: global_keystore; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.global_keystore (
    id bigint NOT NULL,
    name text NOT NULL,
    value text DEFAULT ''::text NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_by text DEFAULT ''::text NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.global_keystore OWNER TO garrison;

--
-- Name: global_keystore_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.global_keystore_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.global_keystore_id_seq OWNER TO garrison;

--
-- Name: global_keystore_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.global_keystore_id_seq OWNED BY public.global_keystore.id;


--
-- Name: job_runs; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.job_runs (
    id bigint NOT NULL,
    schedule_id text,
    owner text NOT NULL,
    kind text NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    agent_id text,
    due_at timestamp with time zone NOT NULL,
    not_before timestamp with time zone NOT NULL,
    expires_at timestamp with time zone,
    state text DEFAULT 'pending'::text NOT NULL,
    attempt integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 3 NOT NULL,
    lease_owner text,
    lease_until timestamp with time zone,
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    result jsonb,
    error text,
    CONSTRAINT job_runs_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'running'::text, 'succeeded'::text, 'failed'::text, 'expired'::text, 'cancelled'::text])))
);


ALTER TABLE public.job_runs OWNER TO garrison;

--
-- Name: job_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.job_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.job_runs_id_seq OWNER TO garrison;

--
-- Name: job_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.job_runs_id_seq OWNED BY public.job_runs.id;


--
-- Name: pending_actions; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.pending_actions (
    id bigint NOT NULL,
    agent_id text NOT NULL,
    action_type text NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    command jsonb NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    history_id bigint,
    username text DEFAULT ''::text NOT NULL,
    created timestamp with time zone DEFAULT now() NOT NULL,
    not_before timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    delivered timestamp with time zone,
    results text,
    CONSTRAINT pending_actions_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'completed'::text, 'cancelled'::text, 'expired'::text])))
);


ALTER TABLE public.pending_actions OWNER TO garrison;

--
-- Name: pending_actions_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.pending_actions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.pending_actions_id_seq OWNER TO garrison;

--
-- Name: pending_actions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.pending_actions_id_seq OWNED BY public.pending_actions.id;


--
-- Name: policies; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.policies (
    id bigint NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    enforced boolean DEFAULT false NOT NULL,
    alert_template bigint,
    excluded_clients bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    excluded_sites bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    excluded_agents bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_by text DEFAULT ''::text NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.policies OWNER TO garrison;

--
-- Name: policies_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.policies_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.policies_id_seq OWNER TO garrison;

--
-- Name: policies_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.policies_id_seq OWNED BY public.policies.id;


--
-- Name: roles; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.roles (
    id bigint NOT NULL,
    name text NOT NULL,
    is_superuser boolean DEFAULT false NOT NULL,
    permissions text[] DEFAULT '{}'::text[] NOT NULL,
    can_view_clients bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    can_view_sites bigint[] DEFAULT '{}'::bigint[] NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.roles OWNER TO garrison;

--
-- Name: roles_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.roles_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.roles_id_seq OWNER TO garrison;

--
-- Name: roles_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.roles_id_seq OWNED BY public.roles.id;


--
-- Name: schedules; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.schedules (
    id text NOT NULL,
    owner text NOT NULL,
    kind text NOT NULL,
    spec jsonb NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    agent_id text,
    enabled boolean DEFAULT true NOT NULL,
    max_attempts integer DEFAULT 3 NOT NULL,
    anchor timestamp with time zone DEFAULT now() NOT NULL,
    next_run timestamp with time zone,
    last_run timestamp with time zone,
    last_status text,
    last_result jsonb,
    last_error text,
    failures integer DEFAULT 0 NOT NULL,
    runs integer DEFAULT 0 NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT schedules_max_attempts_check CHECK ((max_attempts >= 1))
);


ALTER TABLE public.schedules OWNER TO garrison;

--
-- Name: schema_migrations; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.schema_migrations (
    component text NOT NULL,
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.schema_migrations OWNER TO garrison;

--
-- Name: sites; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.sites (
    id bigint NOT NULL,
    client_id bigint NOT NULL,
    name text NOT NULL,
    block_policy_inheritance boolean DEFAULT false NOT NULL,
    custom_fields jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_by text DEFAULT ''::text NOT NULL,
    created_time timestamp with time zone DEFAULT now() NOT NULL,
    modified_by text DEFAULT ''::text NOT NULL,
    modified_time timestamp with time zone DEFAULT now() NOT NULL,
    workstation_policy bigint,
    server_policy bigint
);


ALTER TABLE public.sites OWNER TO garrison;

--
-- Name: sites_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.sites_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.sites_id_seq OWNER TO garrison;

--
-- Name: sites_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.sites_id_seq OWNED BY public.sites.id;


--
-- Name: users; Type: TABLE; Schema: public; Owner: garrison
--

CREATE TABLE public.users (
    id bigint NOT NULL,
    username text NOT NULL,
    email text DEFAULT ''::text NOT NULL,
    first_name text DEFAULT ''::text NOT NULL,
    last_name text DEFAULT ''::text NOT NULL,
    password_hash text NOT NULL,
    is_active boolean DEFAULT true NOT NULL,
    is_superuser boolean DEFAULT false NOT NULL,
    role_id bigint,
    block_dashboard_login boolean DEFAULT false NOT NULL,
    is_installer_user boolean DEFAULT false NOT NULL,
    last_login timestamp with time zone,
    last_login_ip text,
    date_joined timestamp with time zone DEFAULT now() NOT NULL
);


ALTER TABLE public.users OWNER TO garrison;

--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: garrison
--

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


ALTER TABLE public.users_id_seq OWNER TO garrison;

--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: garrison
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: checks id; Type: DEFAULT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.checks ALTER COLUMN id SET DEFAULT nextval('plugin_check.checks_id_seq'::regclass);


--
-- Name: history id; Type: DEFAULT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.history ALTER COLUMN id SET DEFAULT nextval('plugin_check.history_id_seq'::regclass);


--
-- Name: outbox id; Type: DEFAULT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.outbox ALTER COLUMN id SET DEFAULT nextval('plugin_check.outbox_id_seq'::regclass);


--
-- Name: results id; Type: DEFAULT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.results ALTER COLUMN id SET DEFAULT nextval('plugin_check.results_id_seq'::regclass);


--
-- Name: bulk_runs id; Type: DEFAULT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.bulk_runs ALTER COLUMN id SET DEFAULT nextval('plugin_scripting.bulk_runs_id_seq'::regclass);


--
-- Name: scripts id; Type: DEFAULT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.scripts ALTER COLUMN id SET DEFAULT nextval('plugin_scripting.scripts_id_seq'::regclass);


--
-- Name: snippets id; Type: DEFAULT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.snippets ALTER COLUMN id SET DEFAULT nextval('plugin_scripting.snippets_id_seq'::regclass);


--
-- Name: tasks id; Type: DEFAULT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.tasks ALTER COLUMN id SET DEFAULT nextval('plugin_scripting.tasks_id_seq'::regclass);


--
-- Name: recovery_codes id; Type: DEFAULT; Schema: plugin_twofactor; Owner: plugin_twofactor
--

ALTER TABLE ONLY plugin_twofactor.recovery_codes ALTER COLUMN id SET DEFAULT nextval('plugin_twofactor.recovery_codes_id_seq'::regclass);


--
-- Name: agent_history id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_history ALTER COLUMN id SET DEFAULT nextval('public.agent_history_id_seq'::regclass);


--
-- Name: agent_notes id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_notes ALTER COLUMN id SET DEFAULT nextval('public.agent_notes_id_seq'::regclass);


--
-- Name: agents id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agents ALTER COLUMN id SET DEFAULT nextval('public.agents_id_seq'::regclass);


--
-- Name: api_keys id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.api_keys ALTER COLUMN id SET DEFAULT nextval('public.api_keys_id_seq'::regclass);


--
-- Name: audit_log id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.audit_log ALTER COLUMN id SET DEFAULT nextval('public.audit_log_id_seq'::regclass);


--
-- Name: auth_tokens id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.auth_tokens ALTER COLUMN id SET DEFAULT nextval('public.auth_tokens_id_seq'::regclass);


--
-- Name: clients id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.clients ALTER COLUMN id SET DEFAULT nextval('public.clients_id_seq'::regclass);


--
-- Name: deployments id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.deployments ALTER COLUMN id SET DEFAULT nextval('public.deployments_id_seq'::regclass);


--
-- Name: global_keystore id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.global_keystore ALTER COLUMN id SET DEFAULT nextval('public.global_keystore_id_seq'::regclass);


--
-- Name: job_runs id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.job_runs ALTER COLUMN id SET DEFAULT nextval('public.job_runs_id_seq'::regclass);


--
-- Name: pending_actions id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.pending_actions ALTER COLUMN id SET DEFAULT nextval('public.pending_actions_id_seq'::regclass);


--
-- Name: policies id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.policies ALTER COLUMN id SET DEFAULT nextval('public.policies_id_seq'::regclass);


--
-- Name: roles id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.roles ALTER COLUMN id SET DEFAULT nextval('public.roles_id_seq'::regclass);


--
-- Name: sites id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.sites ALTER COLUMN id SET DEFAULT nextval('public.sites_id_seq'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Data for Name: checks; Type: TABLE DATA; Schema: plugin_check; Owner: plugin_check
--

COPY plugin_check.checks (id, agent_id, agent_pk, policy_id, check_type, name, run_interval, alert_severity, email_alert, text_alert, dashboard_alert, fails_b4_alert, error_threshold, warning_threshold, disk, ip, script, script_args, env_vars, info_return_codes, warning_return_codes, success_return_codes, timeout, svc_name, svc_display_name, pass_if_start_pending, pass_if_svc_not_exist, restart_if_stopped, svc_policy_mode, log_name, event_id, event_id_is_wildcard, event_type, event_source, event_message, fail_when, search_last_days, number_of_events_b4_alert, assigned_tasks, created_by, created_time, modified_by, modified_time) FROM stdin;
1	fixture-agent-0-00000000000000000000	1	\N	script	probe	0	warning	f	f	f	1	0	0	\N	\N	{"code": "#!/bin/sh\\nexit 0", "name": "probe", "shell": "shell", "env_vars": [], "run_as_user": false, "script_hash": ""}	[]	[]	[]	[]	[]	30	\N	\N	f	f	f	\N	\N	\N	f	\N	\N	\N	\N	\N	1	[]	admin	2026-12-04 21:06:26.42392+00	admin	2026-12-04 21:06:26.42392+00
2	fixture-agent-1-00000000000000000000	2	\N	script	probe	0	warning	f	f	f	1	0	0	\N	\N	{"code": "#!/bin/sh\\nexit 0", "name": "probe", "shell": "shell", "env_vars": [], "run_as_user": false, "script_hash": ""}	[]	[]	[]	[]	[]	30	\N	\N	f	f	f	\N	\N	\N	f	\N	\N	\N	\N	\N	1	[]	admin	2026-12-04 21:06:26.472801+00	admin	2026-12-04 21:06:26.472801+00
\.


--
-- Data for Name: history; Type: TABLE DATA; Schema: plugin_check; Owner: plugin_check
--

COPY plugin_check.history (id, check_id, agent_id, x, y, results) FROM stdin;
1	1	fixture-agent-0-00000000000000000000	2026-12-04 21:06:26.437022+00	0	{"stderr": "", "stdout": "run 0", "retcode": 0, "execution_time": "0.1000"}
2	1	fixture-agent-0-00000000000000000000	2026-12-04 21:06:26.441358+00	0	{"stderr": "", "stdout": "run 1", "retcode": 0, "execution_time": "0.1000"}
3	1	fixture-agent-0-00000000000000000000	2026-12-04 21:06:26.444742+00	0	{"stderr": "", "stdout": "run 2", "retcode": 0, "execution_time": "0.1000"}
4	2	fixture-agent-1-00000000000000000000	2026-12-04 21:06:26.483457+00	0	{"stderr": "", "stdout": "run 0", "retcode": 0, "execution_time": "0.1000"}
5	2	fixture-agent-1-00000000000000000000	2026-12-04 21:06:26.487366+00	0	{"stderr": "", "stdout": "run 1", "retcode": 0, "execution_time": "0.1000"}
6	2	fixture-agent-1-00000000000000000000	2026-12-04 21:06:26.490639+00	0	{"stderr": "", "stdout": "run 2", "retcode": 0, "execution_time": "0.1000"}
\.


--
-- Data for Name: outbox; Type: TABLE DATA; Schema: plugin_check; Owner: plugin_check
--

COPY plugin_check.outbox (id, event, payload, created_time, delivered_time) FROM stdin;
\.


--
-- Data for Name: results; Type: TABLE DATA; Schema: plugin_check; Owner: plugin_check
--

COPY plugin_check.results (id, agent_id, check_id, status, alert_severity, more_info, stdout, stderr, retcode, execution_time, samples, extra_details, fail_count, alerted, last_run, seq) FROM stdin;
1	fixture-agent-0-00000000000000000000	1	passing	\N	\N	run 2		0	0.1000	[]	\N	0	f	2026-12-04 21:06:26.444032+00	3
4	fixture-agent-1-00000000000000000000	2	passing	\N	\N	run 2		0	0.1000	[]	\N	0	f	2026-12-04 21:06:26.489994+00	3
\.


--
-- Data for Name: bulk_results; Type: TABLE DATA; Schema: plugin_scripting; Owner: plugin_scripting
--

COPY plugin_scripting.bulk_results (bulk_id, agent_id, hostname, status, history_id, pending_action_id, result, updated) FROM stdin;
\.


--
-- Data for Name: bulk_runs; Type: TABLE DATA; Schema: plugin_scripting; Owner: plugin_scripting
--

COPY plugin_scripting.bulk_runs (id, mode, request, total, username, created) FROM stdin;
\.


--
-- Data for Name: scripts; Type: TABLE DATA; Schema: plugin_scripting; Owner: plugin_scripting
--

COPY plugin_scripting.scripts (id, name, description, category, shell, code, args, env_vars, default_timeout, supported_platforms, run_as_user, syntax, favorite, hidden, created_by, created_time, modified_by, modified_time) FROM stdin;
1	Fixture script		Fixtures	shell	echo fixture	[]	[]	90	[]	f		f	f	admin	2026-12-04 21:06:26.493255+00	admin	2026-12-04 21:06:26.493255+00
\.


--
-- Data for Name: snippets; Type: TABLE DATA; Schema: plugin_scripting; Owner: plugin_scripting
--

COPY plugin_scripting.snippets (id, name, description, shell, code) FROM stdin;
\.


--
-- Data for Name: task_results; Type: TABLE DATA; Schema: plugin_scripting; Owner: plugin_scripting
--

COPY plugin_scripting.task_results (task_id, agent_id, status, retcode, stdout, stderr, execution_time, last_run, runs) FROM stdin;
\.


--
-- Data for Name: tasks; Type: TABLE DATA; Schema: plugin_scripting; Owner: plugin_scripting
--

COPY plugin_scripting.tasks (id, agent_id, task, created_by, created_time, onboarded) FROM stdin;
\.


--
-- Data for Name: failures; Type: TABLE DATA; Schema: plugin_twofactor; Owner: plugin_twofactor
--

COPY plugin_twofactor.failures (user_id, at) FROM stdin;
\.


--
-- Data for Name: recovery_codes; Type: TABLE DATA; Schema: plugin_twofactor; Owner: plugin_twofactor
--

COPY plugin_twofactor.recovery_codes (id, user_id, salt, hash, used_at) FROM stdin;
1	2	7be3f555c6985d2207902cf2fa04685e	5b55c5ba19bbb69938a91dade2463f25062fb1063ada82aff0975d6ccbd8c832	\N
2	2	22ce43c3c68ac051977c187dd9df1866	824fa217474841e4fca2d8be37b5091764520765b6d4299d7171d9d59041168b	\N
3	2	4cd8deccf1a5eec7bb72d7d345fc86d5	5a66c6001179b6983344a55bbcecac69edea1fb3c79c04462b000c92e1b55d8a	\N
4	2	607df44ce72d397b20a57b7b93db99bb	397ed2aacfced7ec8157797e989145737cd0529da53d94f28c6648033fbecaed	\N
5	2	a015f36d358e7526315db0074c61513f	690409316d55f83fe4a4189ab1c9ceed5ab4de36339bb7c0b4b7f32248be8fec	\N
6	2	19fc4c8f36a2a2fff0756157802bd86c	67af3768a1a889f944a6331fbe6460bd91687ed81e94b58a70bb5b308a081ba2	\N
7	2	62a4374729037ce408189dd93199492a	574dfb227ae4c4deccda5af80dcbe23899cd956f5c4a23d937972e545f761d20	\N
8	2	db670e2606652bfe23471a51573fd6b2	9b3197b4832635410775d68497c7950a48a135368eadd6dba5cfa96d6b32afb9	\N
9	2	b83ec8a63ca0b1c6867c93c212dda434	bd8e3372879f07aa951141033a5127b07489efa1d6b6d423c950c9670b3a0743	\N
10	2	b528e55b77c4b89eeb58d99dfa2b27c9	e14590bc1761e20b26c7de624e42d87c1ecd52c3aa52f51de5ccf1854e7bd64b	\N
\.


--
-- Data for Name: totp; Type: TABLE DATA; Schema: plugin_twofactor; Owner: plugin_twofactor
--

COPY plugin_twofactor.totp (user_id, username, secret, confirmed, last_step, created_at, confirmed_at) FROM stdin;
2	operator1	x7oLzVZGw8pDfYiPtRNTNs3PTWYOxGIs8XbXVGO8zsd+YQTqgdH7EjoxqQLvnnFR	t	59880611	2026-12-04 21:06:26.374417+00	2026-12-04 21:06:26.388731+00
\.


--
-- Data for Name: agent_history; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.agent_history (id, agent_id, "time", type, command, username, script_name, origin, status, results, script_results, finished, save_result) FROM stdin;
\.


--
-- Data for Name: agent_notes; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.agent_notes (id, agent_id, username, note, entry_time) FROM stdin;
\.


--
-- Data for Name: agent_software; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.agent_software (agent_id, software, modified_time) FROM stdin;
\.


--
-- Data for Name: agents; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.agents (id, agent_id, site_id, client_id, hostname, description, monitoring_type, plat, goarch, operating_system, version, public_ip, total_ram, boot_time, logged_in_username, last_logged_in_user, needs_reboot, last_seen, offline_time, overdue_time, check_interval, overdue_email_alert, overdue_text_alert, overdue_dashboard_alert, maintenance_mode, block_policy_inheritance, time_zone, mesh_node_id, disks, services, wmi_detail, custom_fields, token_digest, created_time, modified_time, nats_password, status_announced, choco_installed, policy_id) FROM stdin;
1	fixture-agent-0-00000000000000000000	1	1	fixture-0		server	linux	amd64				\N	\N			f	2026-12-04 21:06:26.399019+00	4	30	120	f	f	f	f	f	\N		[]	[]	{}	{}	71c1d76d9f595080dabfe5873c30386a90893dde1deb3725c62865490ecb3bd2	2026-12-04 21:06:26.399019+00	2026-12-04 21:06:26.399019+00	$2b$04$hZ/uo3.mJ7VY9UegKpEgG.wytTYuE/UrGt0HpUrrQ8u0ZOYyBXrH6	\N	f	\N
2	fixture-agent-1-00000000000000000000	1	1	fixture-1		server	linux	amd64				\N	\N			f	2026-12-04 21:06:26.448644+00	4	30	120	f	f	f	f	f	\N		[]	[]	{}	{}	48877945d2b0e19ee8b3b54540947195407ceb77fe68c203e4ef0d5681d6ffff	2026-12-04 21:06:26.448644+00	2026-12-04 21:06:26.448644+00	$2b$04$ByVPAxLFaz43i.T/4SCzou8cGa.W9K0nYJbaP8qovLmq4uzy2SR8W	\N	f	\N
\.


--
-- Data for Name: api_keys; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.api_keys (id, name, digest, key_prefix, user_id, expiration, created_by, created_time, modified_time) FROM stdin;
\.


--
-- Data for Name: audit_log; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.audit_log (id, username, agent, agent_id, entry_time, action, object_type, before_value, after_value, message, debug_info, ip_address) FROM stdin;
1	garrison	\N	\N	2026-12-04 21:06:25.680565+00	add	user	\N	\N	Created the first superuser 'admin'	\N	\N
2	admin	\N	\N	2026-12-04 21:06:26.122987+00	login	user	\N	\N	admin logged in	\N	127.0.0.1
3	admin	\N	\N	2026-12-04 21:06:26.13618+00	add	client	\N	{"id": 1, "name": "Fixture Co", "site": "HQ"}	Added client Fixture Co with site HQ	\N	127.0.0.1
4	admin	\N	\N	2026-12-04 21:06:26.150463+00	add	role	\N	{"id": 1, "name": "Technicians", "created_by": "admin", "user_count": 0, "can_run_bulk": false, "can_send_cmd": false, "can_send_wol": false, "can_use_mesh": false, "created_time": "2026-12-04 21:06:26.150463+00", "is_superuser": false, "can_code_sign": false, "modified_time": "2026-12-04 21:06:26.150463+00", "can_edit_agent": false, "can_list_notes": false, "can_list_roles": false, "can_list_sites": false, "can_run_checks": false, "can_view_sites": [], "can_list_agents": true, "can_list_alerts": false, "can_list_checks": true, "can_run_scripts": false, "can_use_webterm": false, "can_list_clients": false, "can_list_scripts": true, "can_manage_notes": false, "can_manage_procs": false, "can_manage_roles": false, "can_manage_sites": false, "can_use_registry": false, "can_use_terminal": false, "can_view_clients": [], "can_view_reports": false, "can_list_accounts": false, "can_list_api_keys": false, "can_list_software": false, "can_manage_alerts": false, "can_manage_checks": false, "can_reboot_agents": false, "can_run_autotasks": false, "can_update_agents": false, "can_install_agents": false, "can_list_autotasks": false, "can_manage_clients": false, "can_manage_reports": false, "can_manage_scripts": false, "can_manage_winsvcs": false, "can_recover_agents": false, "can_run_urlactions": false, "can_view_auditlogs": false, "can_view_debuglogs": false, "can_view_eventlogs": false, "can_view_schedules": false, "plugin_permissions": [], "can_do_server_maint": false, "can_manage_accounts": false, "can_manage_api_keys": false, "can_manage_software": false, "can_list_deployments": false, "can_manage_autotasks": false, "can_manage_schedules": false, "can_uninstall_agents": false, "can_manage_winupdates": false, "can_view_customfields": false, "can_edit_core_settings": false, "can_list_agent_history": false, "can_manage_deployments": false, "can_run_server_scripts": false, "can_view_core_settings": false, "can_list_alerttemplates": false, "can_list_pendingactions": false, "can_manage_customfields": false, "can_edit_global_keystore": false, "can_view_global_keystore": false, "can_manage_alerttemplates": false, "can_manage_pendingactions": false, "can_list_automation_policies": false, "can_manage_automation_policies": false}	Added role Technicians	\N	127.0.0.1
5	admin	\N	\N	2026-12-04 21:06:26.257126+00	add	user	\N	{"id": 2, "role": 1, "email": "", "username": "operator1", "is_active": true, "last_name": "", "first_name": "", "last_login": null, "date_joined": "2026-12-04 21:06:26.257126+00", "is_superuser": false, "last_login_ip": null, "is_installer_user": false, "block_dashboard_login": false}	Added user operator1	\N	127.0.0.1
6	operator1	\N	\N	2026-12-04 21:06:26.366998+00	login	user	\N	\N	operator1 logged in	\N	127.0.0.1
7	operator1	\N	\N	2026-12-04 21:06:26.377407+00	twofactor.setup_started	user:2	\N	\N	twofactor.setup_started (plugin twofactor)	\N	\N
8	operator1	\N	\N	2026-12-04 21:06:26.393513+00	twofactor.enrolled	user:2	\N	\N	twofactor.enrolled (plugin twofactor)	\N	\N
9	admin	fixture-0	fixture-agent-0-00000000000000000000	2026-12-04 21:06:26.413321+00	agent_install	agent	\N	\N	Agent fixture-agent-0-00000000000000000000 installed	\N	127.0.0.1
10	admin	\N	fixture-agent-0-00000000000000000000	2026-12-04 21:06:26.425885+00	check.add	check:1	\N	{"id": 1, "name": "probe", "agent": 1, "policy": null, "script": {"code": "#!/bin/sh\\nexit 0", "name": "probe", "shell": "shell", "env_vars": [], "run_as_user": false, "script_hash": ""}, "timeout": 30, "agent_id": "fixture-agent-0-00000000000000000000", "agent_pk": 1, "env_vars": [], "check_type": "script", "text_alert": false, "email_alert": false, "script_args": [], "run_interval": 0, "assignedtasks": [], "readable_desc": "Script check probe", "alert_severity": "warning", "assigned_tasks": [], "fails_b4_alert": 1, "dashboard_alert": false, "error_threshold": 0, "info_return_codes": [], "managed_by_policy": false, "warning_threshold": 0, "restart_if_stopped": false, "event_id_is_wildcard": false, "overridden_by_policy": false, "success_return_codes": [], "warning_return_codes": [], "pass_if_start_pending": false, "pass_if_svc_not_exist": false, "number_of_events_b4_alert": 1}	check.add (plugin check)	\N	\N
11	admin	fixture-1	fixture-agent-1-00000000000000000000	2026-12-04 21:06:26.467339+00	agent_install	agent	\N	\N	Agent fixture-agent-1-00000000000000000000 installed	\N	127.0.0.1
12	admin	\N	fixture-agent-1-00000000000000000000	2026-12-04 21:06:26.474225+00	check.add	check:2	\N	{"id": 2, "name": "probe", "agent": 2, "policy": null, "script": {"code": "#!/bin/sh\\nexit 0", "name": "probe", "shell": "shell", "env_vars": [], "run_as_user": false, "script_hash": ""}, "timeout": 30, "agent_id": "fixture-agent-1-00000000000000000000", "agent_pk": 2, "env_vars": [], "check_type": "script", "text_alert": false, "email_alert": false, "script_args": [], "run_interval": 0, "assignedtasks": [], "readable_desc": "Script check probe", "alert_severity": "warning", "assigned_tasks": [], "fails_b4_alert": 1, "dashboard_alert": false, "error_threshold": 0, "info_return_codes": [], "managed_by_policy": false, "warning_threshold": 0, "restart_if_stopped": false, "event_id_is_wildcard": false, "overridden_by_policy": false, "success_return_codes": [], "warning_return_codes": [], "pass_if_start_pending": false, "pass_if_svc_not_exist": false, "number_of_events_b4_alert": 1}	check.add (plugin check)	\N	\N
13	admin	\N	\N	2026-12-04 21:06:26.498181+00	scripting.script_add	script:1	\N	{"name": "Fixture script"}	scripting.script_add (plugin scripting)	\N	\N
\.


--
-- Data for Name: auth_tokens; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.auth_tokens (id, user_id, digest, token_prefix, scope, created, expiry, source_ip, user_agent, deployment_id) FROM stdin;
1	1	c15efe00b493bc7421b878cff6a1443242f0923f035efa968d916131a05a7390	362c3eef	\N	2026-12-04 21:06:26.122987+00	2026-12-05 07:06:26.122987+00	127.0.0.1	Python-urllib/3.11	\N
2	2	96cf89d2f9e1b4d6de3911ad4ce27ef889d382bd0006199832827d3d5873397d	c2420549	\N	2026-12-04 21:06:26.366998+00	2026-12-05 07:06:26.366998+00	127.0.0.1	Python-urllib/3.11	\N
\.


--
-- Data for Name: clients; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.clients (id, name, block_policy_inheritance, custom_fields, created_by, created_time, modified_by, modified_time, workstation_policy, server_policy) FROM stdin;
1	Fixture Co	f	{}	admin	2026-12-04 21:06:26.13618+00		2026-12-04 21:06:26.13618+00	\N	\N
\.


--
-- Data for Name: core_settings; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.core_settings (id, settings, modified_time) FROM stdin;
1	{}	2026-12-04 21:06:25.444284+00
\.


--
-- Data for Name: deployments; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.deployments (id, uid, site_id, mon_type, goarch, expiry, install_flags, created_by, created_time) FROM stdin;
\.


--
-- Data for Name: global_keystore; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.global_keystore (id, name, value, created_by, created_time, modified_by, modified_time) FROM stdin;
\.


--
-- Data for Name: job_runs; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.job_runs (id, schedule_id, owner, kind, payload, agent_id, due_at, not_before, expires_at, state, attempt, max_attempts, lease_owner, lease_until, started_at, finished_at, result, error) FROM stdin;
\.


--
-- Data for Name: pending_actions; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.pending_actions (id, agent_id, action_type, status, command, details, history_id, username, created, not_before, expires_at, delivered, results) FROM stdin;
\.


--
-- Data for Name: policies; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.policies (id, name, description, active, enforced, alert_template, excluded_clients, excluded_sites, excluded_agents, created_by, created_time, modified_by, modified_time) FROM stdin;
\.


--
-- Data for Name: roles; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.roles (id, name, is_superuser, permissions, can_view_clients, can_view_sites, created_by, created_time, modified_time) FROM stdin;
1	Technicians	f	{can_list_agents,can_list_checks,can_list_scripts}	{}	{}	admin	2026-12-04 21:06:26.150463+00	2026-12-04 21:06:26.150463+00
\.


--
-- Data for Name: schedules; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.schedules (id, owner, kind, spec, payload, agent_id, enabled, max_attempts, anchor, next_run, last_run, last_status, last_result, last_error, failures, runs, created_time, modified_time) FROM stdin;
core.prune-history	core	core.prune-history	{"expr": "17 3 * * *", "type": "cron"}	{}	\N	t	3	2026-12-04 21:06:25.557735+00	2026-12-05 03:17:00+00	\N	\N	\N	\N	0	0	2026-12-04 21:06:25.55872+00	2026-12-04 21:06:25.55872+00
core.pending-actions	core	core.pending-actions	{"type": "interval", "seconds": 30}	{}	\N	t	1	2026-12-04 21:06:25.565458+00	2026-12-04 21:06:55.565458+00	\N	\N	\N	\N	0	0	2026-12-04 21:06:25.565614+00	2026-12-04 21:06:25.565614+00
core.agent-status	core	core.agent-status	{"type": "interval", "seconds": 30}	{}	\N	t	1	2026-12-04 21:06:25.566212+00	2026-12-04 21:06:55.566212+00	\N	\N	\N	\N	0	0	2026-12-04 21:06:25.566298+00	2026-12-04 21:06:25.566298+00
core.agent-auto-update	core	core.agent-auto-update	{"expr": "35 * * * *", "type": "cron"}	{}	\N	t	1	2026-12-04 21:06:25.566818+00	2026-12-04 21:35:00+00	\N	\N	\N	\N	0	0	2026-12-04 21:06:25.567269+00	2026-12-04 21:06:25.567269+00
check:check-prune	check	check:check.prune	{"type": "interval", "seconds": 3600}	{}	\N	t	3	2026-12-04 21:06:25.868423+00	2026-12-04 22:06:25.868423+00	\N	\N	\N	\N	0	0	2026-12-04 21:06:25.869297+00	2026-12-04 21:06:25.869297+00
check:check-outbox	check	check:check.outbox	{"type": "interval", "seconds": 10}	{}	\N	t	3	2026-12-04 21:06:25.873646+00	2026-12-04 21:06:35.873646+00	\N	\N	\N	\N	0	0	2026-12-04 21:06:25.873807+00	2026-12-04 21:06:25.873807+00
\.


--
-- Data for Name: schema_migrations; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.schema_migrations (component, version, name, applied_at) FROM stdin;
core	1	core objects, operators, audit log	2026-12-04 21:06:25.444284+00
core	2	scheduler: schedules and job runs	2026-12-04 21:06:25.497585+00
core	3	agents: NATS password	2026-12-04 21:06:25.509469+00
core	4	agent commands: history, pending actions, status transitions, software, installers	2026-12-04 21:06:25.510117+00
core	5	automation policies	2026-12-04 21:06:25.534085+00
core	6	global key store, agent notes, history result sinks	2026-12-04 21:06:25.543881+00
plugin:twofactor	1	twofactor #1	2026-12-04 21:06:25.732126+00
plugin:check	1	check #1	2026-12-04 21:06:25.77154+00
plugin:scripting	1	scripting #1	2026-12-04 21:06:25.838853+00
\.


--
-- Data for Name: sites; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.sites (id, client_id, name, block_policy_inheritance, custom_fields, created_by, created_time, modified_by, modified_time, workstation_policy, server_policy) FROM stdin;
1	1	HQ	f	{}	admin	2026-12-04 21:06:26.13618+00		2026-12-04 21:06:26.13618+00	\N	\N
\.


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: garrison
--

COPY public.users (id, username, email, first_name, last_name, password_hash, is_active, is_superuser, role_id, block_dashboard_login, is_installer_user, last_login, last_login_ip, date_joined) FROM stdin;
1	admin				scrypt$32768$8$1$u8cv2odZMbSVnnrLRdTHAw==$Fn6UDOgL3TtOM98vdLHsOyc4INavwYffCSIiLWXKZes=	t	t	\N	f	f	2026-12-04 21:06:26.122987+00	127.0.0.1	2026-12-04 21:06:25.680565+00
2	operator1				scrypt$32768$8$1$1hrAapMMuzxTDZ6AmdaKQQ==$h5pRX6593qUIEzUiLXy4MNcEiQYo4lD3QTHraSAZ5xo=	t	f	1	f	f	2026-12-04 21:06:26.366998+00	127.0.0.1	2026-12-04 21:06:26.257126+00
\.


--
-- Name: checks_id_seq; Type: SEQUENCE SET; Schema: plugin_check; Owner: plugin_check
--

SELECT pg_catalog.setval('plugin_check.checks_id_seq', 2, true);


--
-- Name: history_id_seq; Type: SEQUENCE SET; Schema: plugin_check; Owner: plugin_check
--

SELECT pg_catalog.setval('plugin_check.history_id_seq', 6, true);


--
-- Name: outbox_id_seq; Type: SEQUENCE SET; Schema: plugin_check; Owner: plugin_check
--

SELECT pg_catalog.setval('plugin_check.outbox_id_seq', 1, false);


--
-- Name: results_id_seq; Type: SEQUENCE SET; Schema: plugin_check; Owner: plugin_check
--

SELECT pg_catalog.setval('plugin_check.results_id_seq', 6, true);


--
-- Name: bulk_runs_id_seq; Type: SEQUENCE SET; Schema: plugin_scripting; Owner: plugin_scripting
--

SELECT pg_catalog.setval('plugin_scripting.bulk_runs_id_seq', 1, false);


--
-- Name: scripts_id_seq; Type: SEQUENCE SET; Schema: plugin_scripting; Owner: plugin_scripting
--

SELECT pg_catalog.setval('plugin_scripting.scripts_id_seq', 1, true);


--
-- Name: snippets_id_seq; Type: SEQUENCE SET; Schema: plugin_scripting; Owner: plugin_scripting
--

SELECT pg_catalog.setval('plugin_scripting.snippets_id_seq', 1, false);


--
-- Name: tasks_id_seq; Type: SEQUENCE SET; Schema: plugin_scripting; Owner: plugin_scripting
--

SELECT pg_catalog.setval('plugin_scripting.tasks_id_seq', 1, false);


--
-- Name: recovery_codes_id_seq; Type: SEQUENCE SET; Schema: plugin_twofactor; Owner: plugin_twofactor
--

SELECT pg_catalog.setval('plugin_twofactor.recovery_codes_id_seq', 10, true);


--
-- Name: agent_history_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.agent_history_id_seq', 1, false);


--
-- Name: agent_notes_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.agent_notes_id_seq', 1, false);


--
-- Name: agents_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.agents_id_seq', 2, true);


--
-- Name: api_keys_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.api_keys_id_seq', 1, false);


--
-- Name: audit_log_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.audit_log_id_seq', 13, true);


--
-- Name: auth_tokens_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.auth_tokens_id_seq', 2, true);


--
-- Name: clients_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.clients_id_seq', 1, true);


--
-- Name: deployments_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.deployments_id_seq', 1, false);


--
-- Name: global_keystore_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.global_keystore_id_seq', 1, false);


--
-- Name: job_runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.job_runs_id_seq', 1, false);


--
-- Name: pending_actions_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.pending_actions_id_seq', 1, false);


--
-- Name: policies_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.policies_id_seq', 1, false);


--
-- Name: roles_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.roles_id_seq', 1, true);


--
-- Name: sites_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.sites_id_seq', 1, true);


--
-- Name: users_id_seq; Type: SEQUENCE SET; Schema: public; Owner: garrison
--

SELECT pg_catalog.setval('public.users_id_seq', 2, true);


--
-- Name: checks checks_pkey; Type: CONSTRAINT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.checks
    ADD CONSTRAINT checks_pkey PRIMARY KEY (id);


--
-- Name: history history_pkey; Type: CONSTRAINT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.history
    ADD CONSTRAINT history_pkey PRIMARY KEY (id);


--
-- Name: outbox outbox_pkey; Type: CONSTRAINT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);


--
-- Name: results results_id_key; Type: CONSTRAINT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.results
    ADD CONSTRAINT results_id_key UNIQUE (id);


--
-- Name: results results_pkey; Type: CONSTRAINT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.results
    ADD CONSTRAINT results_pkey PRIMARY KEY (agent_id, check_id);


--
-- Name: bulk_results bulk_results_pkey; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.bulk_results
    ADD CONSTRAINT bulk_results_pkey PRIMARY KEY (bulk_id, agent_id);


--
-- Name: bulk_runs bulk_runs_pkey; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.bulk_runs
    ADD CONSTRAINT bulk_runs_pkey PRIMARY KEY (id);


--
-- Name: scripts scripts_name_key; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.scripts
    ADD CONSTRAINT scripts_name_key UNIQUE (name);


--
-- Name: scripts scripts_pkey; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.scripts
    ADD CONSTRAINT scripts_pkey PRIMARY KEY (id);


--
-- Name: snippets snippets_name_key; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.snippets
    ADD CONSTRAINT snippets_name_key UNIQUE (name);


--
-- Name: snippets snippets_pkey; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.snippets
    ADD CONSTRAINT snippets_pkey PRIMARY KEY (id);


--
-- Name: task_results task_results_pkey; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.task_results
    ADD CONSTRAINT task_results_pkey PRIMARY KEY (task_id, agent_id);


--
-- Name: tasks tasks_pkey; Type: CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id);


--
-- Name: recovery_codes recovery_codes_pkey; Type: CONSTRAINT; Schema: plugin_twofactor; Owner: plugin_twofactor
--

ALTER TABLE ONLY plugin_twofactor.recovery_codes
    ADD CONSTRAINT recovery_codes_pkey PRIMARY KEY (id);


--
-- Name: totp totp_pkey; Type: CONSTRAINT; Schema: plugin_twofactor; Owner: plugin_twofactor
--

ALTER TABLE ONLY plugin_twofactor.totp
    ADD CONSTRAINT totp_pkey PRIMARY KEY (user_id);


--
-- Name: agent_history agent_history_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_history
    ADD CONSTRAINT agent_history_pkey PRIMARY KEY (id);


--
-- Name: agent_notes agent_notes_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_notes
    ADD CONSTRAINT agent_notes_pkey PRIMARY KEY (id);


--
-- Name: agent_software agent_software_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_software
    ADD CONSTRAINT agent_software_pkey PRIMARY KEY (agent_id);


--
-- Name: agents agents_agent_id_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT agents_agent_id_key UNIQUE (agent_id);


--
-- Name: agents agents_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT agents_pkey PRIMARY KEY (id);


--
-- Name: agents agents_token_digest_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT agents_token_digest_key UNIQUE (token_digest);


--
-- Name: api_keys api_keys_digest_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_digest_key UNIQUE (digest);


--
-- Name: api_keys api_keys_name_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_name_key UNIQUE (name);


--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);


--
-- Name: audit_log audit_log_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);


--
-- Name: auth_tokens auth_tokens_digest_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.auth_tokens
    ADD CONSTRAINT auth_tokens_digest_key UNIQUE (digest);


--
-- Name: auth_tokens auth_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.auth_tokens
    ADD CONSTRAINT auth_tokens_pkey PRIMARY KEY (id);


--
-- Name: clients clients_name_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.clients
    ADD CONSTRAINT clients_name_key UNIQUE (name);


--
-- Name: clients clients_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.clients
    ADD CONSTRAINT clients_pkey PRIMARY KEY (id);


--
-- Name: core_settings core_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.core_settings
    ADD CONSTRAINT core_settings_pkey PRIMARY KEY (id);


--
-- Name: deployments deployments_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.deployments
    ADD CONSTRAINT deployments_pkey PRIMARY KEY (id);


--
-- Name: deployments deployments_uid_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.deployments
    ADD CONSTRAINT deployments_uid_key UNIQUE (uid);


--
-- Name: global_keystore global_keystore_name_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.global_keystore
    ADD CONSTRAINT global_keystore_name_key UNIQUE (name);


--
-- Name: global_keystore global_keystore_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.global_keystore
    ADD CONSTRAINT global_keystore_pkey PRIMARY KEY (id);


--
-- Name: job_runs job_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.job_runs
    ADD CONSTRAINT job_runs_pkey PRIMARY KEY (id);


--
-- Name: pending_actions pending_actions_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.pending_actions
    ADD CONSTRAINT pending_actions_pkey PRIMARY KEY (id);


--
-- Name: policies policies_name_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.policies
    ADD CONSTRAINT policies_name_key UNIQUE (name);


--
-- Name: policies policies_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.policies
    ADD CONSTRAINT policies_pkey PRIMARY KEY (id);


--
-- Name: roles roles_name_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_name_key UNIQUE (name);


--
-- Name: roles roles_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (id);


--
-- Name: schedules schedules_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.schedules
    ADD CONSTRAINT schedules_pkey PRIMARY KEY (id);


--
-- Name: schema_migrations schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (component, version);


--
-- Name: sites sites_client_id_name_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_client_id_name_key UNIQUE (client_id, name);


--
-- Name: sites sites_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_username_key; Type: CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_username_key UNIQUE (username);


--
-- Name: checks_agent; Type: INDEX; Schema: plugin_check; Owner: plugin_check
--

CREATE INDEX checks_agent ON plugin_check.checks USING btree (agent_id) WHERE (agent_id IS NOT NULL);


--
-- Name: checks_policy; Type: INDEX; Schema: plugin_check; Owner: plugin_check
--

CREATE INDEX checks_policy ON plugin_check.checks USING btree (policy_id) WHERE (policy_id IS NOT NULL);


--
-- Name: history_age; Type: INDEX; Schema: plugin_check; Owner: plugin_check
--

CREATE INDEX history_age ON plugin_check.history USING brin (x);


--
-- Name: history_series; Type: INDEX; Schema: plugin_check; Owner: plugin_check
--

CREATE INDEX history_series ON plugin_check.history USING btree (check_id, agent_id, x);


--
-- Name: outbox_pending; Type: INDEX; Schema: plugin_check; Owner: plugin_check
--

CREATE INDEX outbox_pending ON plugin_check.outbox USING btree (id) WHERE (delivered_time IS NULL);


--
-- Name: results_check; Type: INDEX; Schema: plugin_check; Owner: plugin_check
--

CREATE INDEX results_check ON plugin_check.results USING btree (check_id);


--
-- Name: bulk_results_history; Type: INDEX; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE INDEX bulk_results_history ON plugin_scripting.bulk_results USING btree (history_id) WHERE (history_id IS NOT NULL);


--
-- Name: tasks_agent; Type: INDEX; Schema: plugin_scripting; Owner: plugin_scripting
--

CREATE INDEX tasks_agent ON plugin_scripting.tasks USING btree (agent_id);


--
-- Name: failures_user_at; Type: INDEX; Schema: plugin_twofactor; Owner: plugin_twofactor
--

CREATE INDEX failures_user_at ON plugin_twofactor.failures USING btree (user_id, at);


--
-- Name: recovery_codes_user; Type: INDEX; Schema: plugin_twofactor; Owner: plugin_twofactor
--

CREATE INDEX recovery_codes_user ON plugin_twofactor.recovery_codes USING btree (user_id);


--
-- Name: agent_history_agent; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX agent_history_agent ON public.agent_history USING btree (agent_id, id DESC);


--
-- Name: agent_history_time; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX agent_history_time ON public.agent_history USING btree ("time");


--
-- Name: agent_notes_agent; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX agent_notes_agent ON public.agent_notes USING btree (agent_id, id DESC);


--
-- Name: agents_client_hostname; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX agents_client_hostname ON public.agents USING btree (client_id, hostname, id);


--
-- Name: agents_hostname; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX agents_hostname ON public.agents USING btree (hostname, id);


--
-- Name: agents_policy; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX agents_policy ON public.agents USING btree (policy_id) WHERE (policy_id IS NOT NULL);


--
-- Name: agents_site_hostname; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX agents_site_hostname ON public.agents USING btree (site_id, hostname, id);


--
-- Name: audit_log_time; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX audit_log_time ON public.audit_log USING btree (entry_time DESC, id DESC);


--
-- Name: audit_log_user; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX audit_log_user ON public.audit_log USING btree (username, entry_time DESC);


--
-- Name: auth_tokens_user; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX auth_tokens_user ON public.auth_tokens USING btree (user_id);


--
-- Name: clients_policies; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX clients_policies ON public.clients USING btree (server_policy, workstation_policy);


--
-- Name: job_runs_finished; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX job_runs_finished ON public.job_runs USING btree (finished_at) WHERE (finished_at IS NOT NULL);


--
-- Name: job_runs_history; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX job_runs_history ON public.job_runs USING btree (schedule_id, id DESC);


--
-- Name: job_runs_leases; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX job_runs_leases ON public.job_runs USING btree (lease_until) WHERE (state = 'running'::text);


--
-- Name: job_runs_one_open; Type: INDEX; Schema: public; Owner: garrison
--

CREATE UNIQUE INDEX job_runs_one_open ON public.job_runs USING btree (schedule_id) WHERE ((state = ANY (ARRAY['pending'::text, 'running'::text])) AND (schedule_id IS NOT NULL));


--
-- Name: job_runs_ready; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX job_runs_ready ON public.job_runs USING btree (not_before) WHERE (state = 'pending'::text);


--
-- Name: pending_actions_open; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX pending_actions_open ON public.pending_actions USING btree (agent_id, id) WHERE (status = 'pending'::text);


--
-- Name: schedules_due; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX schedules_due ON public.schedules USING btree (next_run) WHERE (enabled AND (next_run IS NOT NULL));


--
-- Name: sites_client; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX sites_client ON public.sites USING btree (client_id);


--
-- Name: sites_policies; Type: INDEX; Schema: public; Owner: garrison
--

CREATE INDEX sites_policies ON public.sites USING btree (server_policy, workstation_policy);


--
-- Name: results results_check_id_fkey; Type: FK CONSTRAINT; Schema: plugin_check; Owner: plugin_check
--

ALTER TABLE ONLY plugin_check.results
    ADD CONSTRAINT results_check_id_fkey FOREIGN KEY (check_id) REFERENCES plugin_check.checks(id) ON DELETE CASCADE;


--
-- Name: bulk_results bulk_results_bulk_id_fkey; Type: FK CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.bulk_results
    ADD CONSTRAINT bulk_results_bulk_id_fkey FOREIGN KEY (bulk_id) REFERENCES plugin_scripting.bulk_runs(id) ON DELETE CASCADE;


--
-- Name: task_results task_results_task_id_fkey; Type: FK CONSTRAINT; Schema: plugin_scripting; Owner: plugin_scripting
--

ALTER TABLE ONLY plugin_scripting.task_results
    ADD CONSTRAINT task_results_task_id_fkey FOREIGN KEY (task_id) REFERENCES plugin_scripting.tasks(id) ON DELETE CASCADE;


--
-- Name: recovery_codes recovery_codes_user_id_fkey; Type: FK CONSTRAINT; Schema: plugin_twofactor; Owner: plugin_twofactor
--

ALTER TABLE ONLY plugin_twofactor.recovery_codes
    ADD CONSTRAINT recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES plugin_twofactor.totp(user_id) ON DELETE CASCADE;


--
-- Name: agent_history agent_history_agent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_history
    ADD CONSTRAINT agent_history_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES public.agents(agent_id) ON DELETE CASCADE;


--
-- Name: agent_notes agent_notes_agent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_notes
    ADD CONSTRAINT agent_notes_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES public.agents(agent_id) ON DELETE CASCADE;


--
-- Name: agent_software agent_software_agent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agent_software
    ADD CONSTRAINT agent_software_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES public.agents(agent_id) ON DELETE CASCADE;


--
-- Name: agents agents_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT agents_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.clients(id) ON DELETE RESTRICT;


--
-- Name: agents agents_policy_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT agents_policy_id_fkey FOREIGN KEY (policy_id) REFERENCES public.policies(id) ON DELETE SET NULL;


--
-- Name: agents agents_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT agents_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE RESTRICT;


--
-- Name: api_keys api_keys_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: auth_tokens auth_tokens_deployment_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.auth_tokens
    ADD CONSTRAINT auth_tokens_deployment_id_fkey FOREIGN KEY (deployment_id) REFERENCES public.deployments(id) ON DELETE CASCADE;


--
-- Name: auth_tokens auth_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.auth_tokens
    ADD CONSTRAINT auth_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: clients clients_server_policy_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.clients
    ADD CONSTRAINT clients_server_policy_fkey FOREIGN KEY (server_policy) REFERENCES public.policies(id) ON DELETE SET NULL;


--
-- Name: clients clients_workstation_policy_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.clients
    ADD CONSTRAINT clients_workstation_policy_fkey FOREIGN KEY (workstation_policy) REFERENCES public.policies(id) ON DELETE SET NULL;


--
-- Name: deployments deployments_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.deployments
    ADD CONSTRAINT deployments_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- Name: deployments deployments_site_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.deployments
    ADD CONSTRAINT deployments_site_id_fkey FOREIGN KEY (site_id) REFERENCES public.sites(id) ON DELETE CASCADE;


--
-- Name: job_runs job_runs_schedule_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.job_runs
    ADD CONSTRAINT job_runs_schedule_id_fkey FOREIGN KEY (schedule_id) REFERENCES public.schedules(id) ON DELETE CASCADE;


--
-- Name: pending_actions pending_actions_agent_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.pending_actions
    ADD CONSTRAINT pending_actions_agent_id_fkey FOREIGN KEY (agent_id) REFERENCES public.agents(agent_id) ON DELETE CASCADE;


--
-- Name: pending_actions pending_actions_history_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.pending_actions
    ADD CONSTRAINT pending_actions_history_id_fkey FOREIGN KEY (history_id) REFERENCES public.agent_history(id) ON DELETE SET NULL;


--
-- Name: sites sites_client_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_client_id_fkey FOREIGN KEY (client_id) REFERENCES public.clients(id) ON DELETE RESTRICT;


--
-- Name: sites sites_server_policy_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_server_policy_fkey FOREIGN KEY (server_policy) REFERENCES public.policies(id) ON DELETE SET NULL;


--
-- Name: sites sites_workstation_policy_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.sites
    ADD CONSTRAINT sites_workstation_policy_fkey FOREIGN KEY (workstation_policy) REFERENCES public.policies(id) ON DELETE SET NULL;


--
-- Name: users users_role_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: garrison
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_role_id_fkey FOREIGN KEY (role_id) REFERENCES public.roles(id) ON DELETE SET NULL;


--
-- PostgreSQL database dump complete
--

\unrestrict 4veLiVxSf1AjNOFQChqkh0kTSvxhXabLxS77uNLqQ0jteEu3FahUpyvdnKhSOVr

