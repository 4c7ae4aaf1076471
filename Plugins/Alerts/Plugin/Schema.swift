/// The plugin's tables, in its own schema. A released version never changes.
enum Schema {
    static let v1 = """
        -- One row per alert, with Tactical RMM's fields. An alert about an agent keeps the
        -- agent's names as of the last event about it (hostname, client, site) for the list;
        -- the caller's scope is applied from the host's current agent facts, not from these.
        CREATE TABLE alerts (
            id bigserial PRIMARY KEY,
            alert_type text NOT NULL DEFAULT 'availability' CHECK (alert_type IN ('availability', 'check', 'task', 'custom')),
            -- What the alert is about: 'availability:<agent_id>', 'check:<agent_id>:<check id>',
            -- 'task:<agent_id>:<task id>'; NULL for custom alerts, which have no subject.
            subject text,
            agent_pk bigint,
            agent_id text,
            hostname text,
            client_id bigint,
            client_name text,
            site_id bigint,
            site_name text,
            assigned_check bigint,
            assigned_task bigint,
            severity text NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'error')),
            message text,
            alert_time timestamptz DEFAULT now(),
            snoozed boolean NOT NULL DEFAULT false,
            snooze_until timestamptz,
            resolved boolean NOT NULL DEFAULT false,
            resolved_on timestamptz,
            hidden boolean NOT NULL DEFAULT false,
            email_sent timestamptz,
            resolved_email_sent timestamptz,
            sms_sent timestamptz,
            resolved_sms_sent timestamptz,
            action_run timestamptz,
            action_stdout text,
            action_stderr text,
            action_retcode bigint,
            action_execution_time text,
            resolved_action_run timestamptz,
            resolved_action_stdout text,
            resolved_action_stderr text,
            resolved_action_retcode bigint,
            resolved_action_execution_time text,
            -- What the subject asked for at its last failure (a check's email_alert/text_alert,
            -- an agent's overdue_email_alert/overdue_text_alert), for the notifications.
            wants_email boolean NOT NULL DEFAULT false,
            wants_text boolean NOT NULL DEFAULT false
        );
        -- At most one open alert per subject (Tactical RMM keeps this in code; here the
        -- database refuses a second one).
        CREATE UNIQUE INDEX alerts_one_open ON alerts (subject) WHERE NOT resolved;
        CREATE INDEX alerts_time ON alerts (alert_time DESC, id DESC);
        CREATE INDEX alerts_top ON alerts (alert_time, id) WHERE NOT resolved AND NOT snoozed AND NOT hidden;
        CREATE INDEX alerts_agent ON alerts (agent_id);

        -- Every change of an alert, with the event (or operator) that made it: what a
        -- notification outbox reads to know what to send, once per change.
        CREATE TABLE changes (
            id bigserial PRIMARY KEY,
            alert_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
            change text NOT NULL CHECK (change IN ('raised', 'updated', 'resolved', 'snoozed', 'unsnoozed', 'edited')),
            cause text NOT NULL,            -- the event ('check.failed', 'agent.overdue') or 'operator'
            cause_id bigint,                -- the event's event_id, when it carries one
            username text,                  -- the operator, for operator changes
            severity text NOT NULL,
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX changes_alert ON changes (alert_id);

        -- The newest event applied per subject: events reach the plugin concurrently, so a
        -- check.failed overtaken by the check.resolved after it must not reopen the alert.
        CREATE TABLE subject_events (
            subject text PRIMARY KEY,
            seq bigint NOT NULL
        );

        -- Raises (or updates) the open alert of a subject, in order: the subject's row in
        -- subject_events is locked first, and each statement after that sees what the
        -- previous holder committed. p_create false only updates an open alert (the subject
        -- wants no new alerts). Returns the alert and the change recorded, if any.
        CREATE FUNCTION raise_alert(p_subject text, p_seq bigint, p_create boolean, p_type text, p_agent_pk bigint, p_agent_id text,
                                    p_hostname text, p_client_id bigint, p_client_name text, p_site_id bigint, p_site_name text,
                                    p_check bigint, p_task bigint, p_severity text, p_message text, p_hidden boolean,
                                    p_wants_email boolean, p_wants_text boolean, p_cause text, p_cause_id bigint)
        RETURNS TABLE (alert_id bigint, change_id bigint, change_kind text) LANGUAGE plpgsql AS $fn$
        #variable_conflict use_column
        DECLARE
            v_id bigint;
            v_created boolean;
            v_severity text;
            v_change bigint;
        BEGIN
            INSERT INTO subject_events AS s (subject, seq) VALUES (p_subject, p_seq)
            ON CONFLICT (subject) DO UPDATE SET seq = EXCLUDED.seq WHERE s.seq < EXCLUDED.seq;
            IF NOT FOUND THEN RETURN; END IF;
            IF p_create THEN
                INSERT INTO alerts AS a (subject, alert_type, agent_pk, agent_id, hostname, client_id, client_name, site_id, site_name,
                                         assigned_check, assigned_task, severity, message, hidden, wants_email, wants_text)
                VALUES (p_subject, p_type, p_agent_pk, p_agent_id, p_hostname, p_client_id, p_client_name, p_site_id, p_site_name,
                        p_check, p_task, p_severity, p_message, p_hidden, p_wants_email, p_wants_text)
                ON CONFLICT (subject) WHERE NOT resolved DO UPDATE SET
                    severity = EXCLUDED.severity, message = EXCLUDED.message, hidden = a.hidden AND EXCLUDED.hidden,
                    hostname = EXCLUDED.hostname, client_id = EXCLUDED.client_id, client_name = EXCLUDED.client_name,
                    site_id = EXCLUDED.site_id, site_name = EXCLUDED.site_name,
                    wants_email = EXCLUDED.wants_email, wants_text = EXCLUDED.wants_text
                WHERE (a.severity, a.message, a.hidden, a.hostname, a.client_id, a.client_name, a.site_id, a.site_name, a.wants_email, a.wants_text)
                      IS DISTINCT FROM (EXCLUDED.severity, EXCLUDED.message, a.hidden AND EXCLUDED.hidden, EXCLUDED.hostname, EXCLUDED.client_id,
                                        EXCLUDED.client_name, EXCLUDED.site_id, EXCLUDED.site_name, EXCLUDED.wants_email, EXCLUDED.wants_text)
                RETURNING a.id, (a.xmax = 0), a.severity INTO v_id, v_created, v_severity;
            ELSE
                UPDATE alerts AS a SET severity = p_severity, message = p_message, hostname = p_hostname,
                       client_id = p_client_id, client_name = p_client_name, site_id = p_site_id, site_name = p_site_name
                WHERE a.subject = p_subject AND NOT a.resolved
                  AND (a.severity, a.message, a.hostname, a.client_id, a.client_name, a.site_id, a.site_name)
                      IS DISTINCT FROM (p_severity, p_message, p_hostname, p_client_id, p_client_name, p_site_id, p_site_name)
                RETURNING a.id, false, a.severity INTO v_id, v_created, v_severity;
            END IF;
            IF v_id IS NULL THEN RETURN; END IF;
            INSERT INTO changes (alert_id, change, cause, cause_id, severity)
            VALUES (v_id, CASE WHEN v_created THEN 'raised' ELSE 'updated' END, p_cause, p_cause_id, v_severity)
            RETURNING id INTO v_change;
            RETURN QUERY SELECT v_id, v_change, CASE WHEN v_created THEN 'raised' ELSE 'updated' END;
        END
        $fn$;

        -- Resolves the open alert of a subject, in the same order as raise_alert.
        CREATE FUNCTION resolve_alert(p_subject text, p_seq bigint, p_cause text, p_cause_id bigint)
        RETURNS TABLE (alert_id bigint, change_id bigint, change_kind text) LANGUAGE plpgsql AS $fn$
        #variable_conflict use_column
        DECLARE
            v_id bigint;
            v_severity text;
            v_change bigint;
        BEGIN
            INSERT INTO subject_events AS s (subject, seq) VALUES (p_subject, p_seq)
            ON CONFLICT (subject) DO UPDATE SET seq = EXCLUDED.seq WHERE s.seq < EXCLUDED.seq;
            IF NOT FOUND THEN RETURN; END IF;
            UPDATE alerts AS a SET resolved = true, resolved_on = now(), snoozed = false, snooze_until = NULL
            WHERE a.subject = p_subject AND NOT a.resolved
            RETURNING a.id, a.severity INTO v_id, v_severity;
            IF v_id IS NULL THEN RETURN; END IF;
            INSERT INTO changes (alert_id, change, cause, cause_id, severity) VALUES (v_id, 'resolved', p_cause, p_cause_id, v_severity)
            RETURNING id INTO v_change;
            RETURN QUERY SELECT v_id, v_change, 'resolved'::text;
        END
        $fn$;
        """

    /// Notifications: what a channel (e-mail first) is to send about an alert, written in the
    /// same transaction as the change that calls for it, published as alert.notify until done.
    static let v2 = """
        -- One row per message to send: raised or resolved, for one channel, with its texts
        -- (Tactical RMM's subjects and bodies). published_time is set once alert.notify with
        -- this id has been published; until then the sweep publishes it again.
        CREATE TABLE notifications (
            id bigserial PRIMARY KEY,
            alert_id bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
            change_id bigint REFERENCES changes (id) ON DELETE SET NULL,
            kind text NOT NULL CHECK (kind IN ('raised', 'resolved')),
            channel text NOT NULL,
            subject text NOT NULL,
            body text NOT NULL,
            created timestamptz NOT NULL DEFAULT now(),
            published_time timestamptz
        );
        CREATE INDEX notifications_unpublished ON notifications (id) WHERE published_time IS NULL;

        -- Whether the global gates let a notification about this severity out (Tactical
        -- RMM's notify_on_info_alerts / notify_on_warning_alerts).
        CREATE FUNCTION notify_gate(p_severity text, p_info boolean, p_warning boolean) RETURNS boolean
        LANGUAGE sql IMMUTABLE AS $fn$
            SELECT CASE p_severity WHEN 'info' THEN p_info WHEN 'warning' THEN p_warning ELSE true END
        $fn$;

        -- raise_alert, and in the same transaction the e-mail it calls for: once per alert
        -- (email_sent still empty), when the event asks for e-mail (p_email) and the gates
        -- pass. Returns raise_alert's row and the notification's id, if one was written.
        CREATE FUNCTION raise_alert_notifying(p_subject text, p_seq bigint, p_create boolean, p_type text, p_agent_pk bigint, p_agent_id text,
                                    p_hostname text, p_client_id bigint, p_client_name text, p_site_id bigint, p_site_name text,
                                    p_check bigint, p_task bigint, p_severity text, p_message text, p_hidden boolean,
                                    p_wants_email boolean, p_wants_text boolean, p_cause text, p_cause_id bigint,
                                    p_email boolean, p_notify_info boolean, p_notify_warning boolean, p_mail_subject text, p_mail_body text)
        RETURNS TABLE (alert_id bigint, change_id bigint, change_kind text, notification_id bigint) LANGUAGE plpgsql AS $fn$
        #variable_conflict use_column
        DECLARE
            r record;
            v_alert bigint;
            v_notification bigint;
        BEGIN
            SELECT * INTO r FROM raise_alert(p_subject, p_seq, p_create, p_type, p_agent_pk, p_agent_id, p_hostname, p_client_id,
                p_client_name, p_site_id, p_site_name, p_check, p_task, p_severity, p_message, p_hidden, p_wants_email, p_wants_text,
                p_cause, p_cause_id);
            IF r.alert_id IS NULL THEN RETURN; END IF;
            IF p_email THEN
                UPDATE alerts AS a SET email_sent = now()
                WHERE a.id = r.alert_id AND a.email_sent IS NULL AND notify_gate(a.severity, p_notify_info, p_notify_warning)
                RETURNING a.id INTO v_alert;
                IF v_alert IS NOT NULL THEN
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body)
                    VALUES (r.alert_id, r.change_id, 'raised', 'email', p_mail_subject, p_mail_body)
                    RETURNING id INTO v_notification;
                END IF;
            END IF;
            RETURN QUERY SELECT r.alert_id, r.change_id, r.change_kind, v_notification;
        END
        $fn$;

        -- resolve_alert, and in the same transaction the resolved e-mail: once per alert, when
        -- asked for (p_email: the check/task switch; availability alerts: the agent's
        -- overdue_email_alert, and only after the overdue mail went out, since Garrison
        -- raises them already at offline), the gates pass, and an availability alert is an
        -- error (Tactical RMM's availability filter).
        CREATE FUNCTION resolve_alert_notifying(p_subject text, p_seq bigint, p_cause text, p_cause_id bigint,
                                    p_email boolean, p_notify_info boolean, p_notify_warning boolean, p_mail_subject text, p_mail_body text)
        RETURNS TABLE (alert_id bigint, change_id bigint, change_kind text, notification_id bigint) LANGUAGE plpgsql AS $fn$
        #variable_conflict use_column
        DECLARE
            r record;
            v_alert bigint;
            v_notification bigint;
        BEGIN
            SELECT * INTO r FROM resolve_alert(p_subject, p_seq, p_cause, p_cause_id);
            IF r.alert_id IS NULL THEN RETURN; END IF;
            IF p_email THEN
                UPDATE alerts AS a SET resolved_email_sent = now()
                WHERE a.id = r.alert_id AND a.resolved_email_sent IS NULL AND notify_gate(a.severity, p_notify_info, p_notify_warning)
                  AND (a.alert_type <> 'availability' OR (a.severity = 'error' AND a.email_sent IS NOT NULL))
                RETURNING a.id INTO v_alert;
                IF v_alert IS NOT NULL THEN
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body)
                    VALUES (r.alert_id, r.change_id, 'resolved', 'email', p_mail_subject, p_mail_body)
                    RETURNING id INTO v_notification;
                END IF;
            END IF;
            RETURN QUERY SELECT r.alert_id, r.change_id, r.change_kind, v_notification;
        END
        $fn$;
        """
}

extension Schema {
    /// Alert templates (Plugins/Alerts/README.md, "Alert templates"): the templates, where they
    /// are assigned (the global default, clients, sites: the host keeps no such fields), the
    /// policies' templates as the host last told (for related and scope), and per alert what
    /// the template said about re-notification. Notifications get a channel "sms" and the
    /// template's recipients and sender.
    static let v3 = """
        -- One row per template. Its settings are one JSON document with every field of
        -- Tactical RMM's AlertTemplate (checked and filled with defaults by the plugin).
        CREATE TABLE templates (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            fields jsonb NOT NULL,
            created_by text NOT NULL DEFAULT '',
            created_time timestamptz NOT NULL DEFAULT now(),
            modified_by text NOT NULL DEFAULT '',
            modified_time timestamptz NOT NULL DEFAULT now()
        );

        -- Where a template is assigned: target 'default' (target_id 0), 'client' or 'site'.
        CREATE TABLE assignments (
            target text NOT NULL CHECK (target IN ('default', 'client', 'site')),
            target_id bigint NOT NULL,
            template_id bigint NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
            PRIMARY KEY (target, target_id)
        );
        CREATE INDEX assignments_template ON assignments (template_id);

        -- A policy's alert_template as the host last announced it (core.policy.changed).
        CREATE TABLE policy_templates (
            policy_id bigint PRIMARY KEY,
            template_id bigint NOT NULL
        );
        CREATE INDEX policy_templates_template ON policy_templates (template_id);

        -- The template's periodic days at the alert's last failure (0: no re-notification).
        ALTER TABLE alerts ADD COLUMN email_days integer NOT NULL DEFAULT 0, ADD COLUMN text_days integer NOT NULL DEFAULT 0;
        CREATE INDEX alerts_renotify ON alerts (id) WHERE NOT resolved AND (email_days > 0 OR text_days > 0);

        -- The template's recipients (null: the channel's own) and e-mail sender.
        ALTER TABLE notifications ADD COLUMN recipients jsonb, ADD COLUMN sender text;

        -- raise_alert and, in the same transaction, the e-mail and SMS it calls for: each once
        -- per alert (email_sent / sms_sent still empty) when asked for (p_email / p_text: the
        -- subject's flag or the template's always_*, severity in the template's filter) and
        -- the gates pass. The periodic days are kept on the alert for alert.renotify.
        CREATE FUNCTION raise_alert_notify(p_subject text, p_seq bigint, p_create boolean, p_type text, p_agent_pk bigint, p_agent_id text,
                                    p_hostname text, p_client_id bigint, p_client_name text, p_site_id bigint, p_site_name text,
                                    p_check bigint, p_task bigint, p_severity text, p_message text, p_hidden boolean,
                                    p_wants_email boolean, p_wants_text boolean, p_cause text, p_cause_id bigint,
                                    p_email boolean, p_text boolean, p_notify_info boolean, p_notify_warning boolean,
                                    p_mail_subject text, p_mail_body text, p_sms_body text,
                                    p_email_days integer, p_text_days integer, p_email_to jsonb, p_email_from text, p_text_to jsonb)
        RETURNS TABLE (alert_id bigint, change_id bigint, change_kind text, notification_id bigint) LANGUAGE plpgsql AS $fn$
        #variable_conflict use_column
        DECLARE
            r record;
            v_gate boolean;
            v_alert bigint;
            v_email bigint;
            v_text bigint;
        BEGIN
            SELECT * INTO r FROM raise_alert(p_subject, p_seq, p_create, p_type, p_agent_pk, p_agent_id, p_hostname, p_client_id,
                p_client_name, p_site_id, p_site_name, p_check, p_task, p_severity, p_message, p_hidden, p_wants_email, p_wants_text,
                p_cause, p_cause_id);
            IF r.alert_id IS NULL THEN RETURN; END IF;
            SELECT notify_gate(a.severity, p_notify_info, p_notify_warning) INTO v_gate FROM alerts a WHERE a.id = r.alert_id;
            UPDATE alerts AS a SET email_days = CASE WHEN p_email AND v_gate THEN p_email_days ELSE 0 END,
                                   text_days = CASE WHEN p_text AND v_gate THEN p_text_days ELSE 0 END
            WHERE a.id = r.alert_id;
            IF p_email AND v_gate THEN
                v_alert := NULL;
                UPDATE alerts AS a SET email_sent = now() WHERE a.id = r.alert_id AND a.email_sent IS NULL RETURNING a.id INTO v_alert;
                IF v_alert IS NOT NULL THEN
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, recipients, sender)
                    VALUES (r.alert_id, r.change_id, 'raised', 'email', p_mail_subject, p_mail_body, p_email_to, p_email_from)
                    RETURNING id INTO v_email;
                END IF;
            END IF;
            IF p_text AND v_gate THEN
                v_alert := NULL;
                UPDATE alerts AS a SET sms_sent = now() WHERE a.id = r.alert_id AND a.sms_sent IS NULL RETURNING a.id INTO v_alert;
                IF v_alert IS NOT NULL THEN
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, recipients)
                    VALUES (r.alert_id, r.change_id, 'raised', 'sms', p_mail_subject, p_sms_body, p_text_to)
                    RETURNING id INTO v_text;
                END IF;
            END IF;
            RETURN QUERY SELECT r.alert_id, r.change_id, r.change_kind, v_email;
            IF v_text IS NOT NULL THEN RETURN QUERY SELECT r.alert_id, NULL::bigint, NULL::text, v_text; END IF;
        END
        $fn$;

        -- resolve_alert and the resolved e-mail and SMS: once per alert, when asked for, the
        -- gates pass, the severity is in the filter (p_email_sev / p_text_sev), and for an
        -- availability alert only after its failure notification went out on that channel
        -- (Garrison raises those already at offline; the mail says "data overdue" at overdue).
        CREATE FUNCTION resolve_alert_notify(p_subject text, p_seq bigint, p_cause text, p_cause_id bigint,
                                    p_email boolean, p_text boolean, p_notify_info boolean, p_notify_warning boolean,
                                    p_mail_subject text, p_mail_body text, p_sms_body text, p_email_sev text[], p_text_sev text[],
                                    p_email_to jsonb, p_email_from text, p_text_to jsonb)
        RETURNS TABLE (alert_id bigint, change_id bigint, change_kind text, notification_id bigint) LANGUAGE plpgsql AS $fn$
        #variable_conflict use_column
        DECLARE
            r record;
            v_alert bigint;
            v_email bigint;
            v_text bigint;
        BEGIN
            SELECT * INTO r FROM resolve_alert(p_subject, p_seq, p_cause, p_cause_id);
            IF r.alert_id IS NULL THEN RETURN; END IF;
            IF p_email THEN
                UPDATE alerts AS a SET resolved_email_sent = now()
                WHERE a.id = r.alert_id AND a.resolved_email_sent IS NULL AND notify_gate(a.severity, p_notify_info, p_notify_warning)
                  AND a.severity = ANY(p_email_sev) AND (a.alert_type <> 'availability' OR a.email_sent IS NOT NULL)
                RETURNING a.id INTO v_alert;
                IF v_alert IS NOT NULL THEN
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, recipients, sender)
                    VALUES (r.alert_id, r.change_id, 'resolved', 'email', p_mail_subject, p_mail_body, p_email_to, p_email_from)
                    RETURNING id INTO v_email;
                END IF;
            END IF;
            IF p_text THEN
                v_alert := NULL;
                UPDATE alerts AS a SET resolved_sms_sent = now()
                WHERE a.id = r.alert_id AND a.resolved_sms_sent IS NULL AND notify_gate(a.severity, p_notify_info, p_notify_warning)
                  AND a.severity = ANY(p_text_sev) AND (a.alert_type <> 'availability' OR a.sms_sent IS NOT NULL)
                RETURNING a.id INTO v_alert;
                IF v_alert IS NOT NULL THEN
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, recipients)
                    VALUES (r.alert_id, r.change_id, 'resolved', 'sms', p_mail_subject, p_sms_body, p_text_to)
                    RETURNING id INTO v_text;
                END IF;
            END IF;
            RETURN QUERY SELECT r.alert_id, r.change_id, r.change_kind, v_email;
            IF v_text IS NOT NULL THEN RETURN QUERY SELECT r.alert_id, NULL::bigint, NULL::text, v_text; END IF;
        END
        $fn$;

        -- Tactical RMM's periodic re-notification (*_periodic_alert_days): an open, unsnoozed
        -- alert whose last failure notice on a channel is older than its days gets that notice
        -- again (a new notification, its texts copied), and the time is stamped.
        CREATE FUNCTION renotify_due() RETURNS TABLE (notification_id bigint) LANGUAGE sql AS $fn$
            WITH e AS (
                UPDATE alerts a SET email_sent = now()
                WHERE NOT a.resolved AND NOT a.snoozed AND a.email_days > 0 AND a.email_sent < now() - make_interval(days => a.email_days)
                RETURNING a.id),
            en AS (
                INSERT INTO notifications (alert_id, kind, channel, subject, body, recipients, sender)
                SELECT DISTINCT ON (n.alert_id) n.alert_id, 'raised', 'email', n.subject, n.body, n.recipients, n.sender
                FROM notifications n JOIN e ON e.id = n.alert_id WHERE n.channel = 'email' AND n.kind = 'raised'
                ORDER BY n.alert_id, n.id DESC
                RETURNING id),
            t AS (
                UPDATE alerts a SET sms_sent = now()
                WHERE NOT a.resolved AND NOT a.snoozed AND a.text_days > 0 AND a.sms_sent < now() - make_interval(days => a.text_days)
                RETURNING a.id),
            tn AS (
                INSERT INTO notifications (alert_id, kind, channel, subject, body, recipients, sender)
                SELECT DISTINCT ON (n.alert_id) n.alert_id, 'raised', 'sms', n.subject, n.body, n.recipients, n.sender
                FROM notifications n JOIN t ON t.id = n.alert_id WHERE n.channel = 'sms' AND n.kind = 'raised'
                ORDER BY n.alert_id, n.id DESC
                RETURNING id)
            SELECT id FROM en UNION ALL SELECT id FROM tn
        $fn$;
        """

    /// Alert actions (Plugins/Alerts/README.md, "Alert actions"): a template's failure or
    /// resolved action is a notification too (channel "webhook" for a URL action, "script"
    /// for a library script), carrying what to run in `action`; at most one per alert and
    /// kind, as Tactical RMM runs each action once per alert (its action_run).
    static let v4 = """
        ALTER TABLE notifications ADD COLUMN action jsonb;
        CREATE UNIQUE INDEX notifications_action_once ON notifications (alert_id, kind) WHERE action IS NOT NULL;
        """

    /// What the channels report about each notification (their `<plugin>.delivery` events,
    /// Plugins/Alerts/README.md, "Delivery on the alert"), shown by GET /alerts/<pk>/: one row
    /// per notification and target (a recipient, for channels that send one message each).
    static let v5 = """
        CREATE TABLE deliveries (
            notification_id bigint NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
            target text NOT NULL DEFAULT '',
            channel text NOT NULL,
            state text NOT NULL CHECK (state IN ('sent', 'retrying', 'failed')),
            attempts integer NOT NULL,
            last_error text,
            updated timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (notification_id, target)
        );
        """

    /// The filtered list's order (alert_time DESC NULLS LAST, id DESC) as an index: without it
    /// a page of 50 sorts every matching alert (garrison-bench alerts: 170 ms at 100,000).
    static let v6 = """
        CREATE INDEX alerts_time_list ON alerts (alert_time DESC NULLS LAST, id DESC);
        """

    /// A channel acknowledges a notification once it kept it (Notifying.swift): events die
    /// with the process, so a published notification no channel acknowledged is published
    /// again. Rows published before this version count as received: they were, or are lost.
    static let v7 = """
        ALTER TABLE notifications ADD COLUMN received_time timestamptz, ADD COLUMN publishes integer NOT NULL DEFAULT 0;
        UPDATE notifications SET received_time = published_time, publishes = 1 WHERE published_time IS NOT NULL;
        CREATE INDEX notifications_unreceived ON notifications (created) WHERE received_time IS NULL AND published_time IS NOT NULL;
        """

    /// garrison-bench alerts outage (10,000 agents overdue at once) spent most of its 21 s in
    /// raise_alert_notify, which wrote the alert three times after raising it (the periodic
    /// days, email_sent, sms_sent), each a new row version in every index of `alerts`: one
    /// UPDATE now. alerts_time is left from before alerts_time_list and no query reads it.
    static let v8 = """
        CREATE OR REPLACE FUNCTION raise_alert_notify(p_subject text, p_seq bigint, p_create boolean, p_type text, p_agent_pk bigint, p_agent_id text,
                                    p_hostname text, p_client_id bigint, p_client_name text, p_site_id bigint, p_site_name text,
                                    p_check bigint, p_task bigint, p_severity text, p_message text, p_hidden boolean,
                                    p_wants_email boolean, p_wants_text boolean, p_cause text, p_cause_id bigint,
                                    p_email boolean, p_text boolean, p_notify_info boolean, p_notify_warning boolean,
                                    p_mail_subject text, p_mail_body text, p_sms_body text,
                                    p_email_days integer, p_text_days integer, p_email_to jsonb, p_email_from text, p_text_to jsonb)
        RETURNS TABLE (alert_id bigint, change_id bigint, change_kind text, notification_id bigint) LANGUAGE plpgsql AS $fn$
        #variable_conflict use_column
        DECLARE
            r record;
            v_mail boolean;
            v_sms boolean;
            v_email bigint;
            v_text bigint;
        BEGIN
            SELECT * INTO r FROM raise_alert(p_subject, p_seq, p_create, p_type, p_agent_pk, p_agent_id, p_hostname, p_client_id,
                p_client_name, p_site_id, p_site_name, p_check, p_task, p_severity, p_message, p_hidden, p_wants_email, p_wants_text,
                p_cause, p_cause_id);
            IF r.alert_id IS NULL THEN RETURN; END IF;
            -- email_sent / sms_sent equal to now() (this transaction's start) were set just now.
            UPDATE alerts AS a SET
                email_days = CASE WHEN p_email AND notify_gate(a.severity, p_notify_info, p_notify_warning) THEN p_email_days ELSE 0 END,
                text_days = CASE WHEN p_text AND notify_gate(a.severity, p_notify_info, p_notify_warning) THEN p_text_days ELSE 0 END,
                email_sent = CASE WHEN p_email AND notify_gate(a.severity, p_notify_info, p_notify_warning)
                                  THEN coalesce(a.email_sent, now()) ELSE a.email_sent END,
                sms_sent = CASE WHEN p_text AND notify_gate(a.severity, p_notify_info, p_notify_warning)
                                THEN coalesce(a.sms_sent, now()) ELSE a.sms_sent END
            WHERE a.id = r.alert_id
            RETURNING a.email_sent IS NOT DISTINCT FROM now() AND p_email, a.sms_sent IS NOT DISTINCT FROM now() AND p_text
            INTO v_mail, v_sms;
            IF v_mail THEN
                INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, recipients, sender)
                VALUES (r.alert_id, r.change_id, 'raised', 'email', p_mail_subject, p_mail_body, p_email_to, p_email_from)
                RETURNING id INTO v_email;
            END IF;
            IF v_sms THEN
                INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, recipients)
                VALUES (r.alert_id, r.change_id, 'raised', 'sms', p_mail_subject, p_sms_body, p_text_to)
                RETURNING id INTO v_text;
            END IF;
            RETURN QUERY SELECT r.alert_id, r.change_id, r.change_kind, v_email;
            IF v_text IS NOT NULL THEN RETURN QUERY SELECT r.alert_id, NULL::bigint, NULL::text, v_text; END IF;
        END
        $fn$;

        DROP INDEX alerts_time;
        """
}
