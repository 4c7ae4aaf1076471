/// The plugin's tables, in its own schema (plugin_alert_email). A released version never changes.
enum Schema {
    static let v1 = """
        -- One row per alert.notify (channel email) received: the unique notification_id drops
        -- the repeats an at-least-once publisher sends. sent_time is set once, when the SMTP
        -- server accepted the message; until then (or gave_up) it is retried at next_attempt,
        -- which a sender also moves forward while it holds the row (its lease).
        CREATE TABLE messages (
            id bigserial PRIMARY KEY,
            notification_id bigint NOT NULL,
            alert_id bigint,
            kind text NOT NULL,
            subject text NOT NULL,
            body text NOT NULL,
            received timestamptz NOT NULL DEFAULT now(),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt timestamptz NOT NULL DEFAULT now(),
            last_attempt timestamptz,
            last_error text,
            sent_time timestamptz,
            gave_up boolean NOT NULL DEFAULT false
        );
        CREATE UNIQUE INDEX messages_notification ON messages (notification_id);
        CREATE INDEX messages_due ON messages (next_attempt) WHERE sent_time IS NULL AND NOT gave_up;

        -- Every attempt, with the error (libcurl's and the server's refusal) when it failed.
        CREATE TABLE attempts (
            id bigserial PRIMARY KEY,
            message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            at timestamptz NOT NULL DEFAULT now(),
            ok boolean NOT NULL,
            error text
        );
        CREATE INDEX attempts_message ON attempts (message_id);
        """

    /// The alert template's recipients and sender, per message (null: the settings' own).
    static let v2 = """
        ALTER TABLE messages ADD COLUMN recipients jsonb, ADD COLUMN sender text;
        """
}
