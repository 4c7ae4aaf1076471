import PluginKit
import TwoFactorCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `twofactor.import-trmm` job kind: `garrison import-trmm --apply` hands this plugin the
/// imported operators' TOTP secrets (Tactical RMM keeps them as plain base32 in
/// `accounts_user.totp_key`), each with the operator's Garrison user id. They are sealed
/// under this plugin's key like its own enrollments and stored confirmed, so authenticator
/// apps keep working (docs/switching-from-tactical-rmm.md). One statement; ids that already
/// have an enrollment are left alone.
extension TwoFactor {
    func registerImport(_ r: Registrar) throws {
        try r.jobKind("twofactor.import-trmm") { run in try await self.importTRMM(run.payload) }
    }

    func importTRMM(_ payload: JSON) async throws -> JSON {
        var problems: [JSON] = []
        var rows: [JSON] = []
        for user in payload["users"]?.arrayValue ?? [] {
            guard let userID = user["user_id"]?.intValue, let username = user["username"]?.stringValue else { continue }
            let key = (user["totp_key"]?.stringValue ?? "").uppercased().filter { $0 != " " && $0 != "=" }
            guard let secret = Base32.decode(key), secret.count >= 10 else {
                problems.append([
                    "table": "accounts_user", "row": .string("id \(user["source_id"]?.intValue.map(String.init) ?? "?")"),
                    "message": .string("\(username)'s TOTP secret is not base32 of at least 80 bits"),
                    "outcome": .string("skipped: \(username) enrolls again"),
                ])
                continue
            }
            rows.append([
                "user_id": .number(Double(userID)), "username": .string(username), "secret": .string(try seal(secret, userID: userID)),
                "confirmed": true,
            ])
        }
        struct Count: Decodable { let n: Int }
        let count = try await host.query(
            """
            WITH t AS (
                INSERT INTO totp (user_id, username, secret, confirmed, confirmed_at)
                SELECT user_id, username, secret, confirmed, now() FROM jsonb_populate_recordset(NULL::totp, $1::text::jsonb)
                ON CONFLICT DO NOTHING RETURNING 1
            ) SELECT count(*)::int AS n FROM t
            """, [String(decoding: JSON.array(rows).jsonBytes, as: UTF8.self)], as: Count.self
        ).first?.n ?? 0
        try? host.audit(action: "twofactor.import", username: "garrison", detail: ["source": "tactical-rmm", "enrollments": .number(Double(count))])
        return ["counts": ["TOTP enrollments (accounts_user.totp_key)": .number(Double(count))], "problems": .array(problems)]
    }
}
