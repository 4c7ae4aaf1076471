/// The policy model (docs/compatibility.md §2.3), shared by checks, tasks and patching: policies,
/// their exclusions, and the server / workstation slots on clients and sites and the
/// per-agent policy. The global default slots live in core settings
/// (`server_policy`, `workstation_policy`).
enum AutomationMigration {
    static let policies = Migration(
        version: 5, name: "automation policies",
        sql: """
            CREATE TABLE policies (
                id bigserial PRIMARY KEY,
                name text NOT NULL UNIQUE,
                description text NOT NULL DEFAULT '',
                active boolean NOT NULL DEFAULT true,
                enforced boolean NOT NULL DEFAULT false,
                alert_template bigint,
                -- Ids of excluded clients, sites and agents (agents by their numeric id, as
                -- Tactical RMM's M2M tables hold them). A removed object leaves a harmless id.
                excluded_clients bigint[] NOT NULL DEFAULT '{}',
                excluded_sites bigint[] NOT NULL DEFAULT '{}',
                excluded_agents bigint[] NOT NULL DEFAULT '{}',
                created_by text NOT NULL DEFAULT '',
                created_time timestamptz NOT NULL DEFAULT now(),
                modified_by text NOT NULL DEFAULT '',
                modified_time timestamptz NOT NULL DEFAULT now()
            );
            ALTER TABLE clients
                ADD COLUMN workstation_policy bigint REFERENCES policies(id) ON DELETE SET NULL,
                ADD COLUMN server_policy bigint REFERENCES policies(id) ON DELETE SET NULL;
            ALTER TABLE sites
                ADD COLUMN workstation_policy bigint REFERENCES policies(id) ON DELETE SET NULL,
                ADD COLUMN server_policy bigint REFERENCES policies(id) ON DELETE SET NULL;
            ALTER TABLE agents ADD COLUMN policy_id bigint REFERENCES policies(id) ON DELETE SET NULL;
            CREATE INDEX clients_policies ON clients(server_policy, workstation_policy);
            CREATE INDEX sites_policies ON sites(server_policy, workstation_policy);
            CREATE INDEX agents_policy ON agents(policy_id) WHERE policy_id IS NOT NULL;
            """)
}
