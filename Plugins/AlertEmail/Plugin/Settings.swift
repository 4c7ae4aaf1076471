import Foundation
import PluginKit

/// The [settings] table of plugins.d/61-alert-email.toml.
struct Settings: Decodable, Sendable {
    var smtp_host: String?
    var smtp_port: Int?
    /// "starttls" (default: the server must offer STARTTLS), "implicit" (TLS from the first
    /// byte, smtps, port 465) or "none" (plain text: a relay on the same machine only).
    var tls: String?
    var verify_certificate: Bool?
    var ca_file: String?
    var from: String?
    var username: String?
    var password: String?
    /// "plain", "login", or empty: the first the server offers.
    var auth: String?
    /// Comma-separated addresses every alert e-mail goes to.
    var recipients: String?
    var timeout_seconds: Int?
    var max_attempts: Int?
    var backoff_seconds: Int?
    var backoff_max_seconds: Int?
    var send_sweep_seconds: Int?
    /// Days sent and given-up messages (and their attempts) are kept; 0 keeps all.
    var retention_days: Int?
}

/// The checked settings: what `Settings` must be for mail to go out.
struct Config: Sendable {
    enum TLS: String, Sendable { case starttls, implicit, none }
    let host: String
    let port: Int
    let tls: TLS
    let verify: Bool
    let caFile: String
    var from: String
    let username: String
    let password: String
    let loginOptions: String
    var recipients: [String]
    let timeout: Int
    let maxAttempts: Int
    let backoff: Int
    let backoffMax: Int
    let sweep: Int
    let retentionDays: Int

    var url: String { "\(tls == .implicit ? "smtps" : "smtp")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// nil when no SMTP host is set (the plugin then sends nothing); throws, naming the key,
    /// when a value is wrong.
    init?(_ s: Settings) throws {
        let host = (s.smtp_host ?? "").trimmingCharacters(in: .whitespaces)
        if host.isEmpty { return nil }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:_".contains($0) }) else {
            throw PluginError(.invalid, "[settings] smtp_host: \"\(host)\" is not a host name or address")
        }
        guard let tls = TLS(rawValue: (s.tls ?? "starttls").lowercased()) else {
            throw PluginError(.invalid, "[settings] tls: \"\(s.tls ?? "")\" is not one of starttls, implicit, none")
        }
        let port = s.smtp_port ?? (tls == .implicit ? 465 : 587)
        guard (1...65535).contains(port) else { throw PluginError(.invalid, "[settings] smtp_port: \(port) is not in 1-65535") }
        let from = (s.from ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.isAddress(from) else {
            throw PluginError(.invalid, "[settings] from: \"\(from)\" is not an e-mail address (expected name@domain)")
        }
        let recipients = (s.recipients ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !recipients.isEmpty else { throw PluginError(.invalid, "[settings] recipients: no address given (a comma-separated list)") }
        for address in recipients where !Self.isAddress(address) {
            throw PluginError(.invalid, "[settings] recipients: \"\(address)\" is not an e-mail address (expected name@domain)")
        }
        let auth = (s.auth ?? "").lowercased()
        guard ["", "plain", "login"].contains(auth) else {
            throw PluginError(.invalid, "[settings] auth: \"\(s.auth ?? "")\" is not one of plain, login (or empty for any)")
        }
        func bounded(_ name: String, _ value: Int?, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            let v = value ?? fallback
            guard range.contains(v) else {
                throw PluginError(.invalid, "[settings] \(name): \(v) is not in \(range.lowerBound)-\(range.upperBound)")
            }
            return v
        }
        self.host = host
        self.port = port
        self.tls = tls
        self.verify = s.verify_certificate ?? true
        self.caFile = s.ca_file ?? ""
        self.from = from
        self.username = s.username ?? ""
        self.password = s.password ?? ""
        self.loginOptions = auth.isEmpty ? "" : "AUTH=\(auth.uppercased())"
        self.recipients = recipients
        self.timeout = try bounded("timeout_seconds", s.timeout_seconds, 30, 1...600)
        self.maxAttempts = try bounded("max_attempts", s.max_attempts, 10, 1...1000)
        self.backoff = try bounded("backoff_seconds", s.backoff_seconds, 30, 1...86_400)
        self.backoffMax = try bounded("backoff_max_seconds", s.backoff_max_seconds, 3600, 1...604_800)
        self.sweep = try bounded("send_sweep_seconds", s.send_sweep_seconds, 30, 1...3600)
        self.retentionDays = try bounded("retention_days", s.retention_days, 90, 0...36_500)
    }

    /// name@domain: one @, a local part and a dotted or single-label domain, no spaces,
    /// angle brackets, commas or quotes (what goes between < > in MAIL FROM / RCPT TO).
    static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 254 else { return false }
        let forbidden: Set<Character> = [" ", "<", ">", ",", "\"", "(", ")", "[", "]", "\\", ";", ":", "\t", "\r", "\n"]
        guard !text.contains(where: { forbidden.contains($0) || $0.asciiValue.map { $0 < 0x20 } == true }) else { return false }
        let domain = parts[1]
        return !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
            && domain.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }
    }
}
