extension CoreMigrations {
    /// An installer token is bound to the site it was made for: newagent takes the site from
    /// the token, so a link made for one client's site cannot enroll into another client.
    static let v8 = Migration(
        version: 8, name: "installer tokens: bound to a site",
        sql: """
            ALTER TABLE auth_tokens ADD COLUMN site_id bigint REFERENCES sites(id) ON DELETE CASCADE;
            """)
}
