/// Tactical RMM's custom field definitions. The values stay where they were, in each client's,
/// site's and agent's `custom_fields` object keyed by field name (what scripts' `{{agent.x}}`
/// read); a definition gives a name its type, choices and default, and its pk for API clients.
enum CustomFieldMigration {
    static let v9 = Migration(
        version: 9, name: "custom field definitions",
        sql: """
            CREATE TABLE custom_field_definitions (
                id bigserial PRIMARY KEY,
                model text NOT NULL CHECK (model IN ('client', 'site', 'agent')),
                type text NOT NULL DEFAULT 'text' CHECK (type IN ('text', 'number', 'single', 'multiple', 'checkbox', 'datetime')),
                name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
                "order" integer NOT NULL DEFAULT 0,
                options jsonb NOT NULL DEFAULT '[]',
                required boolean NOT NULL DEFAULT false,
                default_value_string text,
                default_value_bool boolean NOT NULL DEFAULT false,
                default_values_multiple jsonb NOT NULL DEFAULT '[]',
                hide_in_ui boolean NOT NULL DEFAULT false,
                hide_in_summary boolean NOT NULL DEFAULT false,
                created_by text, created_time timestamptz NOT NULL DEFAULT now(),
                modified_by text, modified_time timestamptz NOT NULL DEFAULT now(),
                UNIQUE (model, name)
            );
            """)
}
