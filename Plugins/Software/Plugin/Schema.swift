/// The plugin's tables, in its own schema (plugin_software). A released version never changes.
enum Schema {
    static let v1 = """
        -- One inventory per agent (Tactical RMM's InstalledSoftware), replaced whole each time the
        -- agent sends it. agent_pk is the agent's numeric key, which the answers name as "agent".
        CREATE TABLE installed_software (
            id bigserial PRIMARY KEY,
            agent_id text NOT NULL UNIQUE,
            agent_pk bigint NOT NULL,
            software jsonb NOT NULL,
            modified_time timestamptz NOT NULL DEFAULT now()
        );
        -- The Chocolatey package catalogue the dashboard offers (Tactical RMM's ChocoSoftware):
        -- at most one row, loaded by an import; none until then.
        CREATE TABLE choco_catalogue (
            id integer PRIMARY KEY CHECK (id = 1),
            chocos jsonb NOT NULL,
            added timestamptz NOT NULL DEFAULT now()
        );
        """
}
