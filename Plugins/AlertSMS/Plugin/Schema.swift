/// The plugin's tables, in its own schema (plugin_alert_sms). A released version never changes.
enum Schema {
    static let v1 = """
        -- One row per (alert.notify of channel sms, recipient): Twilio takes one number per
        -- request, so each recipient is delivered, retried and marked sent on its own, and
        -- one that failed is retried without texting the others again. The unique index
        -- drops the repeats an at-least-once publisher sends.
        CREATE TABLE messages (
            id bigserial PRIMARY KEY,
            notification_id bigint NOT NULL,
            alert_id bigint,
            kind text NOT NULL,
            recipient text NOT NULL,
            body text NOT NULL,
            received timestamptz NOT NULL DEFAULT now(),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt timestamptz NOT NULL DEFAULT now(),
            last_attempt timestamptz,
            last_error text,
            sent_time timestamptz,
            -- Twilio's message sid (SM...), from its 201 answer.
            provider_id text,
            gave_up boolean NOT NULL DEFAULT false
        );
        CREATE UNIQUE INDEX messages_notification ON messages (notification_id, recipient);
        CREATE INDEX messages_due ON messages (next_attempt) WHERE sent_time IS NULL AND NOT gave_up;

        -- Every attempt: the HTTP status (0: none came) and the error when it failed.
        CREATE TABLE attempts (
            id bigserial PRIMARY KEY,
            message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            at timestamptz NOT NULL DEFAULT now(),
            ok boolean NOT NULL,
            status integer NOT NULL DEFAULT 0,
            error text
        );
        CREATE INDEX attempts_message ON attempts (message_id);
        """
}
