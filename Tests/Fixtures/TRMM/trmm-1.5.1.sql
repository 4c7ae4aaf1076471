-- A Tactical RMM 1.5.1-shaped database for ImportTRMMTests, written from the schema facts in
-- /work/shared/reference/trmm-database.md (table and column names, types, enum values, how
-- agent tokens and operator password hashes are stored). Only the tables and columns the
-- importer reads or counts are here. Two conveniences that Django itself never uses: DEFAULT
-- false on the role booleans (Django writes every value), and no FK on agents_agent.site_id,
-- so the fixture can hold one damaged row (agent 201 whose site does not exist).
-- Operators' passwords (PBKDF2-SHA256, Django's format, computed with Python's hashlib):
--   tactical / Tactical-root-2024 (600000)   alice / alice-helpdesk-pw (390000)
--   bob / bob-the-technician (600000, TOTP)  carol / correct horse (600000, the reference's test vector)
--   dave / dave-left-the-company (320000, inactive)

CREATE TABLE django_migrations (id serial PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL);
INSERT INTO django_migrations (app, name, applied) VALUES
 ('accounts', '0041_role_can_use_terminal', now()), ('accounts', '0042_copy_mesh_permission_to_terminal', now()),
 ('agents', '0061_agent_something', now()), ('agents', '0062_agent_default_shell_agent_default_shell_custom', now()),
 ('checks', '0034_alter_check_info_return_codes_and_more', now()), ('core', '0053_coresettings_terminal_mode', now()),
 ('clients', '0024_last', now()), ('scripts', '0020_last', now()), ('automation', '0009_last', now()),
 ('alerts', '0014_last', now()), ('autotasks', '0041_last', now()), ('logs', '0025_last', now()),
 ('software', '0004_last', now()), ('winupdate', '0013_last', now());

CREATE TABLE scripts_scriptsnippet (id serial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE, "desc" varchar(50) NOT NULL, code text NOT NULL, shell varchar(15) NOT NULL);
INSERT INTO scripts_scriptsnippet (name, "desc", code, shell) VALUES ('log-header', 'prints a header', 'Write-Output "== garrison import =="', 'powershell');

CREATE TABLE scripts_script (
 id serial PRIMARY KEY, name varchar(255) NOT NULL, description text, shell varchar(100) NOT NULL, script_type varchar(100) NOT NULL,
 script_body text NOT NULL, code_base64 text NOT NULL, args text[], env_vars text[], default_timeout integer NOT NULL CHECK (default_timeout >= 0),
 run_as_user boolean NOT NULL, supported_platforms varchar(20)[], category varchar(100), favorite boolean NOT NULL, hidden boolean NOT NULL,
 guid varchar(64), filename varchar(255), syntax text, script_hash varchar(100),
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
INSERT INTO scripts_script (name, description, shell, script_type, script_body, code_base64, args, env_vars, default_timeout, run_as_user,
  supported_platforms, category, favorite, hidden, created_by, created_time)
SELECT 'Script ' || i, 'maintenance script ' || i,
  (ARRAY['powershell', 'cmd', 'python', 'shell'])[1 + i % 4], 'userdefined',
  CASE i % 4 WHEN 0 THEN E'{{log-header}}\nWrite-Output "args: $args"' WHEN 1 THEN 'echo %1' WHEN 2 THEN E'import sys\nprint(sys.argv[1:])' ELSE E'#!/bin/sh\necho "$@"' END,
  '', ARRAY['-Name', '{{agent.hostname}}', 'run-' || i], ARRAY['MODE=import'], 60 + i, false,
  CASE WHEN i % 4 = 3 THEN ARRAY['linux']::varchar(20)[] ELSE ARRAY[]::varchar(20)[] END,
  (ARRAY['Maintenance', 'Network', 'Inventory'])[1 + i % 3], i = 1, false, 'tactical', now() - interval '90 days'
FROM generate_series(1, 20) i;

CREATE TABLE core_customfield (
 id serial PRIMARY KEY, model varchar(25) NOT NULL, name varchar(100) NOT NULL, type varchar(25) NOT NULL, options varchar(255)[],
 default_value_string text, default_value_bool boolean NOT NULL, default_values_multiple varchar(255)[], required boolean NOT NULL,
 hide_in_ui boolean NOT NULL, hide_in_summary boolean NOT NULL, "order" integer NOT NULL CHECK ("order" >= 0),
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz, UNIQUE (model, name));
INSERT INTO core_customfield (id, model, name, type, options, default_value_string, default_value_bool, default_values_multiple, required, hide_in_ui, hide_in_summary, "order") VALUES
 (1, 'agent', 'Asset Tag', 'text', '{}', '', false, '{}', false, false, false, 0),
 (2, 'agent', 'Roles', 'multiple', '{web,db,file}', NULL, false, '{}', false, false, false, 1),
 (3, 'client', 'Contract', 'single', '{gold,silver}', 'silver', false, '{}', false, false, false, 0),
 (4, 'site', 'Has UPS', 'checkbox', '{}', NULL, false, '{}', false, false, false, 0);
SELECT setval(pg_get_serial_sequence('core_customfield', 'id'), 4);

CREATE TABLE core_globalkvstore (id serial PRIMARY KEY, name varchar(25) NOT NULL, value text NOT NULL,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
INSERT INTO core_globalkvstore (name, value) VALUES ('backup_share', '\\nas\backups'), ('api_token', 's3cr3t'), ('backup_share', 'duplicate');

CREATE TABLE alerts_alerttemplate (id serial PRIMARY KEY, name varchar(100) NOT NULL, is_active boolean NOT NULL, action_type varchar(10) NOT NULL,
 action_id integer, email_recipients varchar(100)[], check_email_alert_severity varchar(25)[] NOT NULL, task_email_alert_severity varchar(25)[] NOT NULL,
 check_dashboard_alert_severity varchar(25)[] NOT NULL, check_text_alert_severity varchar(25)[] NOT NULL, task_dashboard_alert_severity varchar(25)[] NOT NULL,
 task_text_alert_severity varchar(25)[] NOT NULL, action_timeout integer NOT NULL);
INSERT INTO alerts_alerttemplate (name, is_active, action_type, email_recipients, check_email_alert_severity, task_email_alert_severity,
 check_dashboard_alert_severity, check_text_alert_severity, task_dashboard_alert_severity, task_text_alert_severity, action_timeout)
VALUES ('Servers', true, 'script', '{ops@example.com}', '{error}', '{error}', '{warning,error}', '{}', '{error}', '{}', 15);

CREATE TABLE automation_policy (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE, "desc" varchar(255), active boolean NOT NULL,
 enforced boolean NOT NULL, alert_template_id integer REFERENCES alerts_alerttemplate(id) DEFERRABLE INITIALLY DEFERRED,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
INSERT INTO automation_policy (id, name, "desc", active, enforced, alert_template_id) VALUES
 (1, 'Servers baseline', 'disk and cpu on every server', true, false, 1), (2, 'Workstations', NULL, true, true, NULL);
SELECT setval(pg_get_serial_sequence('automation_policy', 'id'), 2);

CREATE TABLE clients_client (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE, block_policy_inheritance boolean NOT NULL,
 failing_checks jsonb NOT NULL, workstation_policy_id integer REFERENCES automation_policy(id) DEFERRABLE INITIALLY DEFERRED,
 server_policy_id integer REFERENCES automation_policy(id) DEFERRABLE INITIALLY DEFERRED, alert_template_id integer,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
-- Ids 3, 7 and 12: kept as they are, since installers and API scripts carry them.
INSERT INTO clients_client (id, name, block_policy_inheritance, failing_checks, server_policy_id, workstation_policy_id, created_by, created_time) VALUES
 (3, 'Acme Corp', false, '{"error": false, "warning": false}', 1, 2, 'tactical', now() - interval '400 days'),
 (7, 'Globex', false, '{"error": true, "warning": false}', NULL, NULL, 'tactical', now() - interval '300 days'),
 (12, 'Initech', true, '{"error": false, "warning": false}', NULL, NULL, 'tactical', now() - interval '200 days');

CREATE TABLE clients_site (id serial PRIMARY KEY, client_id integer NOT NULL REFERENCES clients_client(id) DEFERRABLE INITIALLY DEFERRED,
 name varchar(255) NOT NULL, block_policy_inheritance boolean NOT NULL, failing_checks jsonb NOT NULL,
 workstation_policy_id integer, server_policy_id integer, alert_template_id integer,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz, UNIQUE (client_id, name));
INSERT INTO clients_site (id, client_id, name, block_policy_inheritance, failing_checks) VALUES
 (20, 3, 'HQ', false, '{"error": false, "warning": false}'), (21, 3, 'Warehouse', false, '{"error": false, "warning": false}'),
 (22, 3, 'Branch East', false, '{"error": false, "warning": false}'), (23, 3, 'Branch West', false, '{"error": false, "warning": false}'),
 (24, 7, 'Main', false, '{"error": false, "warning": false}'), (25, 7, 'Lab', false, '{"error": false, "warning": false}'),
 (26, 7, 'DR', true, '{"error": false, "warning": false}'), (27, 12, 'Office', false, '{"error": false, "warning": false}'),
 (28, 12, 'Datacenter', false, '{"error": false, "warning": false}'), (29, 12, 'Remote', false, '{"error": false, "warning": false}');

CREATE TABLE clients_clientcustomfield (id serial PRIMARY KEY, client_id integer NOT NULL, field_id integer NOT NULL, string_value text, bool_value boolean NOT NULL, multiple_value text[]);
INSERT INTO clients_clientcustomfield (client_id, field_id, string_value, bool_value, multiple_value) VALUES (3, 3, 'gold', false, '{}'), (7, 3, 'silver', false, '{}');
CREATE TABLE clients_sitecustomfield (id serial PRIMARY KEY, site_id integer NOT NULL, field_id integer NOT NULL, string_value text, bool_value boolean NOT NULL, multiple_value text[]);
INSERT INTO clients_sitecustomfield (site_id, field_id, string_value, bool_value, multiple_value) VALUES (20, 4, NULL, true, '{}'), (24, 4, NULL, false, '{}');

CREATE TABLE agents_agent (
 id serial PRIMARY KEY, agent_id varchar(200) NOT NULL UNIQUE, hostname varchar(255) NOT NULL, site_id integer NOT NULL,
 monitoring_type varchar(30) NOT NULL, plat varchar(255) NOT NULL, goarch varchar(255), version varchar(255) NOT NULL,
 operating_system varchar(255), last_seen timestamptz, public_ip varchar(255), total_ram integer, boot_time double precision,
 logged_in_username varchar(255), last_logged_in_user varchar(255), disks jsonb, services jsonb, wmi_detail jsonb,
 needs_reboot boolean NOT NULL, choco_installed boolean NOT NULL, patches_last_installed timestamptz, description varchar(255),
 mesh_node_id varchar(255), time_zone varchar(255), offline_time integer NOT NULL CHECK (offline_time >= 0),
 overdue_time integer NOT NULL CHECK (overdue_time >= 0), check_interval integer NOT NULL CHECK (check_interval >= 0),
 overdue_email_alert boolean NOT NULL, overdue_text_alert boolean NOT NULL, overdue_dashboard_alert boolean NOT NULL,
 maintenance_mode boolean NOT NULL, block_policy_inheritance boolean NOT NULL, policy_id integer, alert_template_id integer,
 default_shell varchar(32) NOT NULL, default_shell_custom varchar(512) NOT NULL,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
-- 200 agents over the 10 sites: agent_id is 40 letters, as the agent chooses it.
INSERT INTO agents_agent (id, agent_id, hostname, site_id, monitoring_type, plat, goarch, version, operating_system, last_seen, public_ip,
 total_ram, boot_time, logged_in_username, last_logged_in_user, disks, services, wmi_detail, needs_reboot, choco_installed, description,
 mesh_node_id, time_zone, offline_time, overdue_time, check_interval, overdue_email_alert, overdue_text_alert, overdue_dashboard_alert,
 maintenance_mode, block_policy_inheritance, policy_id, default_shell, default_shell_custom, created_time)
SELECT 1000 + i, translate(md5('agent' || i) || substr(md5('x' || i), 1, 8), '0123456789', 'ghijklmnop'),
  CASE WHEN i % 5 = 0 THEN 'ws-' ELSE 'srv-' END || lpad(i::text, 3, '0'), 20 + i % 10,
  CASE WHEN i % 5 = 0 THEN 'workstation' ELSE 'server' END, CASE WHEN i % 10 = 9 THEN 'linux' ELSE 'windows' END, 'amd64', '2.9.1',
  CASE WHEN i % 10 = 9 THEN 'Debian 12' ELSE 'Windows Server 2022 Standard, 64 bit (build 20348)' END,
  now() - (i || ' minutes')::interval, '203.0.113.' || (i % 250), 16, extract(epoch FROM now()) - 86400, 'None', 'admin' || i,
  '[{"device": "C:", "fstype": "NTFS", "total": "100 GB", "used": "40 GB", "free": "60 GB", "percent": 40}]', '[]',
  '{"make_model": "Virtual Machine"}', i % 17 = 0, false, CASE WHEN i = 1 THEN 'domain controller' ELSE NULL END,
  '', CASE WHEN i % 3 = 0 THEN 'Europe/Berlin' ELSE NULL END, 4, 30, 120, false, false, i % 7 = 0, i = 2, false,
  CASE WHEN i = 3 THEN 2 ELSE NULL END, 'use_global', '', now() - interval '100 days'
FROM generate_series(1, 200) i;
-- Damaged: its site does not exist.
INSERT INTO agents_agent (id, agent_id, hostname, site_id, monitoring_type, plat, version, needs_reboot, choco_installed, offline_time, overdue_time,
 check_interval, overdue_email_alert, overdue_text_alert, overdue_dashboard_alert, maintenance_mode, block_policy_inheritance, default_shell, default_shell_custom)
VALUES (1201, 'OrphanAgentWithoutAnySiteAtAllXXXXXXXXXX', 'orphan-01', 999, 'server', 'windows', '2.9.1', false, false, 4, 30, 120, false, false, false, false, false, 'use_global', '');

CREATE TABLE agents_agentcustomfield (id serial PRIMARY KEY, agent_id integer NOT NULL, field_id integer NOT NULL, string_value text, bool_value boolean NOT NULL, multiple_value text[], UNIQUE (agent_id, field_id));
INSERT INTO agents_agentcustomfield (agent_id, field_id, string_value, bool_value, multiple_value)
SELECT 1000 + i, 1, 'TAG-' || i, false, '{}' FROM generate_series(1, 200) i;
INSERT INTO agents_agentcustomfield (agent_id, field_id, string_value, bool_value, multiple_value) VALUES (1001, 2, NULL, false, '{web,db}');

CREATE TABLE accounts_role (id serial PRIMARY KEY, name varchar(255) NOT NULL UNIQUE, is_superuser boolean NOT NULL DEFAULT false,
 can_list_agents boolean NOT NULL DEFAULT false, can_use_mesh boolean NOT NULL DEFAULT false, can_uninstall_agents boolean NOT NULL DEFAULT false,
 can_update_agents boolean NOT NULL DEFAULT false, can_edit_agent boolean NOT NULL DEFAULT false, can_manage_procs boolean NOT NULL DEFAULT false,
 can_view_eventlogs boolean NOT NULL DEFAULT false, can_send_cmd boolean NOT NULL DEFAULT false, can_reboot_agents boolean NOT NULL DEFAULT false,
 can_install_agents boolean NOT NULL DEFAULT false, can_run_scripts boolean NOT NULL DEFAULT false, can_run_bulk boolean NOT NULL DEFAULT false,
 can_recover_agents boolean NOT NULL DEFAULT false, can_list_agent_history boolean NOT NULL DEFAULT false, can_send_wol boolean NOT NULL DEFAULT false,
 can_use_registry boolean NOT NULL DEFAULT false, can_use_terminal boolean NOT NULL DEFAULT false,
 can_list_notes boolean NOT NULL DEFAULT false, can_manage_notes boolean NOT NULL DEFAULT false, can_view_core_settings boolean NOT NULL DEFAULT false,
 can_edit_core_settings boolean NOT NULL DEFAULT false, can_do_server_maint boolean NOT NULL DEFAULT false, can_code_sign boolean NOT NULL DEFAULT false,
 can_run_urlactions boolean NOT NULL DEFAULT false, can_view_customfields boolean NOT NULL DEFAULT false, can_manage_customfields boolean NOT NULL DEFAULT false,
 can_run_server_scripts boolean NOT NULL DEFAULT false, can_use_webterm boolean NOT NULL DEFAULT false, can_view_global_keystore boolean NOT NULL DEFAULT false,
 can_edit_global_keystore boolean NOT NULL DEFAULT false, can_view_schedules boolean NOT NULL DEFAULT false, can_manage_schedules boolean NOT NULL DEFAULT false,
 can_list_checks boolean NOT NULL DEFAULT false, can_manage_checks boolean NOT NULL DEFAULT false, can_run_checks boolean NOT NULL DEFAULT false,
 can_list_clients boolean NOT NULL DEFAULT false, can_manage_clients boolean NOT NULL DEFAULT false, can_list_sites boolean NOT NULL DEFAULT false,
 can_manage_sites boolean NOT NULL DEFAULT false, can_list_deployments boolean NOT NULL DEFAULT false, can_manage_deployments boolean NOT NULL DEFAULT false,
 can_list_automation_policies boolean NOT NULL DEFAULT false, can_manage_automation_policies boolean NOT NULL DEFAULT false,
 can_list_autotasks boolean NOT NULL DEFAULT false, can_manage_autotasks boolean NOT NULL DEFAULT false, can_run_autotasks boolean NOT NULL DEFAULT false,
 can_view_auditlogs boolean NOT NULL DEFAULT false, can_list_pendingactions boolean NOT NULL DEFAULT false, can_manage_pendingactions boolean NOT NULL DEFAULT false,
 can_view_debuglogs boolean NOT NULL DEFAULT false, can_list_scripts boolean NOT NULL DEFAULT false, can_manage_scripts boolean NOT NULL DEFAULT false,
 can_list_alerts boolean NOT NULL DEFAULT false, can_manage_alerts boolean NOT NULL DEFAULT false, can_list_alerttemplates boolean NOT NULL DEFAULT false,
 can_manage_alerttemplates boolean NOT NULL DEFAULT false, can_manage_winsvcs boolean NOT NULL DEFAULT false, can_list_software boolean NOT NULL DEFAULT false,
 can_manage_software boolean NOT NULL DEFAULT false, can_manage_winupdates boolean NOT NULL DEFAULT false, can_list_accounts boolean NOT NULL DEFAULT false,
 can_manage_accounts boolean NOT NULL DEFAULT false, can_list_roles boolean NOT NULL DEFAULT false, can_manage_roles boolean NOT NULL DEFAULT false,
 can_list_api_keys boolean NOT NULL DEFAULT false, can_manage_api_keys boolean NOT NULL DEFAULT false, can_view_reports boolean NOT NULL DEFAULT false,
 can_manage_reports boolean NOT NULL DEFAULT false,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
INSERT INTO accounts_role (id, name, can_list_agents, can_list_clients, can_list_sites, can_list_checks, can_list_notes, can_send_cmd, can_use_mesh, can_use_terminal)
 VALUES (4, 'Acme helpdesk', true, true, true, true, true, false, true, true);
INSERT INTO accounts_role (id, name, can_list_agents, can_list_clients, can_list_sites, can_list_checks, can_manage_checks, can_run_scripts, can_list_scripts, can_send_cmd)
 VALUES (5, 'Technicians', true, true, true, true, true, true, true, true);
CREATE TABLE accounts_role_can_view_clients (id serial PRIMARY KEY, role_id integer NOT NULL, client_id integer NOT NULL, UNIQUE (role_id, client_id));
INSERT INTO accounts_role_can_view_clients (role_id, client_id) VALUES (4, 3);
CREATE TABLE accounts_role_can_view_sites (id serial PRIMARY KEY, role_id integer NOT NULL, site_id integer NOT NULL, UNIQUE (role_id, site_id));

CREATE TABLE accounts_user (
 id serial PRIMARY KEY, password varchar(128) NOT NULL, last_login timestamptz, is_superuser boolean NOT NULL, username varchar(150) NOT NULL UNIQUE,
 first_name varchar(150) NOT NULL, last_name varchar(150) NOT NULL, email varchar(254) NOT NULL, is_staff boolean NOT NULL, is_active boolean NOT NULL,
 date_joined timestamptz NOT NULL, totp_key varchar(50), block_dashboard_login boolean NOT NULL, is_installer_user boolean NOT NULL,
 agent_id integer UNIQUE, role_id integer REFERENCES accounts_role(id) DEFERRABLE INITIALLY DEFERRED, url_action_id integer, last_login_ip inet,
 dark_mode boolean NOT NULL DEFAULT true, created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, totp_key, block_dashboard_login, is_installer_user, role_id, last_login_ip) VALUES
 (1, 'pbkdf2_sha256$600000$q3ZLm8pVwR2nT6yXcA1bDe$4s6u6YZYVqYhs0pcRYjeKAeGyAH27LaIH/Fi0uN4qW0=', true, 'tactical', 'Root', 'User', 'root@example.com', true, true, now() - interval '400 days', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', false, false, NULL, '198.51.100.7'),
 (2, 'pbkdf2_sha256$390000$Hk29sLmQp0ZxWv7RtY3uEa$t2LSU/vfGLKyYd/JP/tDPe6Lu6nINnT5tm2pegZptKE=', false, 'alice', 'Alice', 'Helpdesk', 'alice@example.com', false, true, now() - interval '200 days', NULL, false, false, 4, NULL),
 (3, 'pbkdf2_sha256$600000$Zp8QwErTy5UiOp1AsDf2Gh$ESJZ476FS2iHBebHJ8xlQkP4EyAh8MfTeEbJNSfgMNk=', false, 'bob', 'Bob', 'Tech', 'bob@example.com', false, true, now() - interval '150 days', 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU', false, false, 5, NULL),
 (4, 'pbkdf2_sha256$600000$mDcYjslNx7qwVoiaQiRPjB$IsVL0BSFyYEC8tZtiS+9CjioEtZZHWIsnc1B2gI6MH0=', false, 'carol', 'Carol', '', 'carol@example.com', false, true, now() - interval '100 days', '', false, false, 5, NULL),
 (5, 'pbkdf2_sha256$320000$Mn5BvC8xZa2SdFg4HjK6lQ$suyRKYV6l9bj+N57HQpecHaC0OX0AlSslPQtBBclz2g=', false, 'dave', 'Dave', '', 'dave@example.com', false, false, now() - interval '500 days', NULL, false, false, 5, NULL),
 (6, '!unusablepasswordunusablepasswordunusablepa', false, '6f1c0c4e7d3a4b9e8f2a1b3c4d5e6f70', '', '', '', false, true, now() - interval '400 days', NULL, true, true, NULL, NULL);
-- Bob's dashboard preferences (the others keep the defaults).
UPDATE accounts_user SET dark_mode = false, url_action_id = 2 WHERE id = 3;
-- One agent user per agent (username = agent_id, random password nobody knows), then its DRF token.
INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, block_dashboard_login, is_installer_user, agent_id)
SELECT 100 + i, '!' || md5('pw' || i), false, a.agent_id, '', '', '', false, true, now() - interval '100 days', false, false, a.id
FROM generate_series(1, 200) i JOIN agents_agent a ON a.id = 1000 + i;
CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamptz NOT NULL, user_id integer NOT NULL UNIQUE REFERENCES accounts_user(id) DEFERRABLE INITIALLY DEFERRED);
-- 40 lowercase hex characters; agent 200 has lost its token.
INSERT INTO authtoken_token (key, created, user_id)
SELECT md5('token' || i) || substr(md5('tok' || i), 1, 8), now() - interval '100 days', 100 + i FROM generate_series(1, 199) i;

CREATE TABLE accounts_apikey (id serial PRIMARY KEY, name varchar(25) NOT NULL UNIQUE, key varchar(48) NOT NULL UNIQUE, expiration timestamptz,
 user_id integer NOT NULL REFERENCES accounts_user(id) DEFERRABLE INITIALLY DEFERRED,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
INSERT INTO accounts_apikey (id, name, key, expiration, user_id, created_by, created_time) VALUES
 (1, 'psa-sync', 'A1B2C3D4E5F6G7H8J9K0L1M2N3P4Q5R6', NULL, 3, 'tactical', now() - interval '30 days'),
 (2, 'old-report', 'ZZ11YY22XX33WW44VV55UU66TT77SS88', now() - interval '1 day', 1, 'tactical', now() - interval '300 days');

CREATE TABLE automation_policy_excluded_agents (id serial PRIMARY KEY, policy_id integer NOT NULL, agent_id integer NOT NULL);
INSERT INTO automation_policy_excluded_agents (policy_id, agent_id) VALUES (1, 1005);
CREATE TABLE automation_policy_excluded_clients (id serial PRIMARY KEY, policy_id integer NOT NULL, client_id integer NOT NULL);
CREATE TABLE automation_policy_excluded_sites (id serial PRIMARY KEY, policy_id integer NOT NULL, site_id integer NOT NULL);
INSERT INTO automation_policy_excluded_sites (policy_id, site_id) VALUES (1, 23);

CREATE TABLE agents_note (id serial PRIMARY KEY, agent_id integer NOT NULL, user_id integer, note text, entry_time timestamptz NOT NULL);
INSERT INTO agents_note (agent_id, user_id, note, entry_time) VALUES (1001, 3, 'Replaced the RAID battery', now() - interval '10 days'),
 (1002, 102, 'script output saved as a note', now() - interval '2 days'), (1201, 3, 'note on the orphan', now());

CREATE TABLE agents_agenthistory (id bigserial PRIMARY KEY, agent_id integer NOT NULL, time timestamptz NOT NULL, type varchar(50) NOT NULL,
 command text, username varchar(255) NOT NULL, results text, script_id integer, script_results jsonb, custom_field_id integer,
 collector_all_output boolean NOT NULL, save_to_agent_note boolean NOT NULL);
INSERT INTO agents_agenthistory (agent_id, time, type, command, username, results, script_id, script_results, collector_all_output, save_to_agent_note)
SELECT 1000 + i, now() - (i || ' hours')::interval, CASE WHEN i % 2 = 0 THEN 'script_run' ELSE 'cmd_run' END,
  CASE WHEN i % 2 = 0 THEN '' ELSE 'ipconfig /all' END, 'bob', CASE WHEN i % 2 = 0 THEN NULL ELSE 'Windows IP Configuration' END,
  CASE WHEN i % 2 = 0 THEN 1 ELSE NULL END,
  CASE WHEN i % 2 = 0 THEN '{"stdout": "ok", "stderr": "", "retcode": 0, "execution_time": 1.2, "id": 0}'::jsonb ELSE NULL END, false, false
FROM generate_series(1, 20) i;

-- Three checks on each of the first 100 agents (300), one policy check, one damaged check.
CREATE TABLE checks_check (
 id serial PRIMARY KEY, agent_id integer, policy_id integer, check_type varchar(50) NOT NULL, name varchar(255), overridden_by_policy boolean NOT NULL,
 managed_by_policy boolean NOT NULL, email_alert boolean NOT NULL, text_alert boolean NOT NULL, dashboard_alert boolean NOT NULL,
 fails_b4_alert integer NOT NULL CHECK (fails_b4_alert >= 0), run_interval integer NOT NULL CHECK (run_interval >= 0), alert_severity varchar(15),
 error_threshold integer CHECK (error_threshold >= 0), warning_threshold integer CHECK (warning_threshold >= 0), disk varchar(2), ip varchar(255),
 timeout integer, script_id integer, script_args varchar(255)[], env_vars text[], info_return_codes bigint[], warning_return_codes bigint[],
 success_return_codes bigint[], svc_name varchar(255), svc_display_name varchar(255), pass_if_start_pending boolean, pass_if_svc_not_exist boolean NOT NULL,
 restart_if_stopped boolean, svc_policy_mode varchar(20), log_name varchar(255), event_id integer, event_id_is_wildcard boolean NOT NULL,
 event_type varchar(255), event_source varchar(255), event_message text, fail_when varchar(255), search_last_days integer, number_of_events_b4_alert integer,
 created_by varchar(255), created_time timestamptz, modified_by varchar(255), modified_time timestamptz);
INSERT INTO checks_check (id, agent_id, check_type, overridden_by_policy, managed_by_policy, email_alert, text_alert, dashboard_alert, fails_b4_alert,
 run_interval, alert_severity, error_threshold, warning_threshold, disk, pass_if_svc_not_exist, event_id_is_wildcard)
SELECT (a - 1) * 3 + k, 1000 + a, (ARRAY['diskspace', 'cpuload', 'memory'])[k], false, false, k = 1, false, true, 1 + (a % 3), 0,
  'warning', (ARRAY[10, 90, 95])[k], (ARRAY[25, 80, 85])[k], CASE WHEN k = 1 THEN 'C:' END, false, false
FROM generate_series(1, 100) a, generate_series(1, 3) k;
INSERT INTO checks_check (id, policy_id, check_type, overridden_by_policy, managed_by_policy, email_alert, text_alert, dashboard_alert, fails_b4_alert,
 run_interval, alert_severity, error_threshold, warning_threshold, pass_if_svc_not_exist, event_id_is_wildcard) VALUES
 (301, 1, 'cpuload', false, false, false, false, true, 1, 300, 'error', 95, 85, false, false),
 (302, NULL, 'memory', false, false, false, false, true, 1, 0, 'warning', 150, 80, false, false);
UPDATE checks_check SET agent_id = 1050 WHERE id = 302;
SELECT setval(pg_get_serial_sequence('checks_check', 'id'), 302);
CREATE TABLE checks_checkresult (id bigserial PRIMARY KEY, agent_id integer NOT NULL, assigned_check_id integer NOT NULL, status varchar(100) NOT NULL,
 alert_severity varchar(15), more_info text, last_run timestamptz, fail_count integer NOT NULL, outage_history jsonb, extra_details jsonb,
 stdout text, stderr text, retcode bigint, execution_time varchar(100), history integer[], UNIQUE (agent_id, assigned_check_id));
INSERT INTO checks_checkresult (agent_id, assigned_check_id, status, alert_severity, more_info, last_run, fail_count, history)
SELECT agent_id, id, CASE WHEN id % 10 = 0 THEN 'failing' ELSE 'passing' END, 'warning', 'Average CPU 12%', now() - interval '3 minutes',
  CASE WHEN id % 10 = 0 THEN 2 ELSE 0 END, '{10,12,11}' FROM checks_check WHERE agent_id IS NOT NULL AND id <= 300;

CREATE TABLE autotasks_automatedtask (id serial PRIMARY KEY, agent_id integer, policy_id integer, name varchar(255) NOT NULL, win_task_name varchar(255) NOT NULL UNIQUE,
 actions jsonb NOT NULL, enabled boolean NOT NULL, task_type varchar(100) NOT NULL);
INSERT INTO autotasks_automatedtask (agent_id, name, win_task_name, actions, enabled, task_type) VALUES
 (1001, 'Nightly cleanup', 'TacticalRMM_abcdefghijklmnopqrstuvwxyzabcdefghi', '[{"type": "script", "script": 3, "name": "Script 3", "timeout": 90, "script_args": [], "env_vars": []}]', true, 'daily');

CREATE TABLE core_coresettings (id serial PRIMARY KEY, email_alert_recipients varchar(254)[] NOT NULL, sms_alert_recipients varchar(255)[] NOT NULL,
 twilio_number varchar(255), twilio_account_sid varchar(255), twilio_auth_token varchar(255), smtp_from_email varchar(255) NOT NULL, smtp_from_name varchar(255),
 smtp_host varchar(255) NOT NULL, smtp_host_user varchar(255) NOT NULL, smtp_host_password varchar(255) NOT NULL, smtp_port integer NOT NULL,
 smtp_requires_auth boolean NOT NULL, default_time_zone varchar(255) NOT NULL, check_history_prune_days integer NOT NULL, resolved_alerts_prune_days integer NOT NULL,
 agent_history_prune_days integer NOT NULL, debug_log_prune_days integer NOT NULL, audit_log_prune_days integer NOT NULL, clear_faults_days integer NOT NULL,
 agent_debug_level varchar(20) NOT NULL, mesh_token varchar(255), mesh_username varchar(255), mesh_site varchar(255), mesh_device_group varchar(255),
 mesh_company_name varchar(255), sync_mesh_with_trmm boolean NOT NULL, agent_auto_update boolean NOT NULL, workstation_policy_id integer, server_policy_id integer,
 alert_template_id integer, date_format varchar(30) NOT NULL, notify_on_info_alerts boolean NOT NULL, notify_on_warning_alerts boolean NOT NULL,
 block_local_user_logon boolean NOT NULL, sso_enabled boolean NOT NULL, enable_server_scripts boolean NOT NULL, enable_server_webterminal boolean NOT NULL, terminal_mode varchar(20) NOT NULL);
INSERT INTO core_coresettings VALUES (1, '{ops@example.com}', '{+15550100}', '+15550199', 'AC0123', 'twilio-secret', 'rmm@example.com', 'Acme RMM',
 'smtp.example.com', 'rmm@example.com', 'smtp-secret', 587, true, 'Europe/Berlin', 30, 0, 60, 30, 0, 0, 'info', repeat('ab', 80), 'meshadmin',
 'https://mesh.example.com', 'TacticalRMM', NULL, true, true, 2, 1, 1, 'MMM-DD-YYYY - HH:mm', false, true, false, false, true, false, 'new');

CREATE TABLE knox_authtoken (digest varchar(128) PRIMARY KEY, token_key varchar(8) NOT NULL, user_id integer NOT NULL, created timestamptz NOT NULL, expiry timestamptz);
INSERT INTO knox_authtoken VALUES (repeat('a', 128), 'aaaaaaaa', 6, now(), now() + interval '5 hours');
CREATE TABLE logs_auditlog (id bigserial PRIMARY KEY, username varchar(255) NOT NULL, entry_time timestamptz NOT NULL, action varchar(100) NOT NULL, object_type varchar(100) NOT NULL, message varchar(255));
INSERT INTO logs_auditlog (username, entry_time, action, object_type, message) VALUES ('bob', now(), 'login', 'user', 'bob logged in');
