extension CoreMigrations {
    /// The software inventory moved into the software plugin (Plugins/Software), which keeps it
    /// in its own schema. The rows are not carried over: every agent sends its inventory again
    /// at service start and every 47–58 minutes, and PUT /software/<agent_id>/ asks at once, so
    /// the plugin's table is whole within the hour while a copy here would only go stale.
    static let v12 = Migration(
        version: 12, name: "software inventory moves to the software plugin",
        sql: """
            DROP TABLE agent_software;
            """)
}
