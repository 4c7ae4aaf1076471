extension CoreMigrations {
    /// The operator's dashboard preferences (Accounts/Users/UserUI.swift): one JSON document,
    /// empty meaning every default.
    static let v13 = Migration(
        version: 13, name: "operators' dashboard preferences",
        sql: """
            ALTER TABLE users ADD COLUMN ui jsonb NOT NULL DEFAULT '{}'::jsonb;
            """)
}
