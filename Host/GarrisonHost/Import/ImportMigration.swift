extension CoreMigrations {
    /// What `garrison import-trmm --apply` has written (docs/switching-from-tactical-rmm.md):
    /// one row per part, inserted in the same transaction as the part's data, so a part is
    /// either wholly imported (and recorded) or not at all. A rerun skips recorded parts and
    /// refuses when there is nothing left to import.
    static let v10 = Migration(
        version: 10, name: "import runs (Tactical RMM import state)",
        sql: """
            CREATE TABLE import_runs (
                part text PRIMARY KEY,
                source text NOT NULL,
                source_version text NOT NULL,
                counts jsonb NOT NULL DEFAULT '{}',
                problems jsonb NOT NULL DEFAULT '[]',
                mappings jsonb NOT NULL DEFAULT '[]',
                finished timestamptz NOT NULL DEFAULT now()
            );
            """)
}
