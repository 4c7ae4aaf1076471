/// How a plugin's migration, running on the plugin's own login (which cannot touch the
/// public schema), records itself in the host's ledger in the same transaction: a SECURITY
/// DEFINER function that the host's role owns, which writes the ledger row of the component
/// the calling login was admitted for, and nothing else. A plugin can so mark only its own
/// versions, and only from inside a migration's transaction or a db_query of its own.
enum MigrationLedger {
    static let record = "garrison_ledger.record_migration"

    /// Creates the ledger schema and function (once per database) and admits `role` to
    /// record versions of `component`. Runs under the migration lock, as the host's role.
    static func admit(role: String, component: String, on connection: PGConnection) throws(DatabaseError) {
        let quoted = quoteIdentifier(role)
        try connection.execute(
            script: """
                CREATE SCHEMA IF NOT EXISTS garrison_ledger;
                REVOKE ALL ON SCHEMA garrison_ledger FROM PUBLIC;
                CREATE TABLE IF NOT EXISTS garrison_ledger.logins (role name PRIMARY KEY, component text NOT NULL);
                CREATE OR REPLACE FUNCTION \(record)(step integer, step_name text) RETURNS void
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $garrison$
                DECLARE owner_component text;
                BEGIN
                    SELECT component INTO owner_component FROM garrison_ledger.logins WHERE role = session_user;
                    IF owner_component IS NULL THEN
                        RAISE EXCEPTION 'role % records no migrations', session_user USING ERRCODE = 'insufficient_privilege';
                    END IF;
                    INSERT INTO public.schema_migrations (component, version, name) VALUES (owner_component, step, step_name);
                END
                $garrison$;
                REVOKE ALL ON FUNCTION \(record)(integer, text) FROM PUBLIC;
                GRANT USAGE ON SCHEMA garrison_ledger TO \(quoted);
                GRANT EXECUTE ON FUNCTION \(record)(integer, text) TO \(quoted);
                """)
        try connection.query(
            """
            INSERT INTO garrison_ledger.logins (role, component) VALUES ($1, $2)
            ON CONFLICT (role) DO UPDATE SET component = EXCLUDED.component
            """, [role, component])
    }
}
