/// The plugin's tables, in its own schema (plugin_urlaction). A released version never changes.
enum Schema {
    static let v1 = """
        -- Tactical RMM's URLAction: a web action (a link the dashboard opens) or a REST action
        -- (a webhook an alert template runs), with {{...}} variables in pattern, body and headers.
        CREATE TABLE url_actions (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            "desc" text,
            pattern text NOT NULL DEFAULT '',
            action_type text NOT NULL DEFAULT 'web' CHECK (action_type IN ('web', 'rest')),
            rest_method text NOT NULL DEFAULT 'post' CHECK (rest_method IN ('get', 'post', 'put', 'delete', 'patch')),
            rest_body text DEFAULT '',
            rest_headers text DEFAULT '',
            created_by text,
            created_time timestamptz DEFAULT now(),
            modified_by text,
            modified_time timestamptz DEFAULT now()
        );

        -- One row per alert.notify of channel "webhook" (an alert template's URL action): the
        -- unique notification_id drops an at-least-once publisher's repeats. The request is
        -- fixed when the notification arrives (variables substituted), so every retry sends the
        -- same bytes. sent_time: an answer that is final came (any status but 429 and 5xx);
        -- gave_up: max_attempts reached or the request could not be made. result_published: the
        -- outcome was published as urlaction.alert_action.result (until then the sweep publishes it).
        CREATE TABLE deliveries (
            id bigserial PRIMARY KEY,
            notification_id bigint NOT NULL,
            alert_id bigint,
            kind text NOT NULL,
            url_action bigint,
            method text NOT NULL DEFAULT 'post',
            url text NOT NULL DEFAULT '',
            body text,
            headers jsonb NOT NULL DEFAULT '[]',
            received timestamptz NOT NULL DEFAULT now(),
            attempts integer NOT NULL DEFAULT 0,
            next_attempt timestamptz NOT NULL DEFAULT now(),
            last_attempt timestamptz,
            last_error text,
            status integer,
            response text,
            execution_time text,
            sent_time timestamptz,
            gave_up boolean NOT NULL DEFAULT false,
            result_published timestamptz
        );
        CREATE UNIQUE INDEX deliveries_notification ON deliveries (notification_id);
        CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE sent_time IS NULL AND NOT gave_up;
        CREATE INDEX deliveries_unpublished ON deliveries (id) WHERE result_published IS NULL AND (sent_time IS NOT NULL OR gave_up);

        -- Every attempt: the HTTP status (0: none came) and the error.
        CREATE TABLE attempts (
            id bigserial PRIMARY KEY,
            delivery_id bigint NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
            at timestamptz NOT NULL DEFAULT now(),
            ok boolean NOT NULL,
            status integer NOT NULL DEFAULT 0,
            error text
        );
        CREATE INDEX attempts_delivery ON attempts (delivery_id);
        """
}
