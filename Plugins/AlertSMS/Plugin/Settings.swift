import Foundation
import PluginKit

/// The [settings] table of plugins.d/62-alert-sms.toml (Tactical RMM keeps the first four
/// in its core settings as twilio_account_sid, twilio_auth_token, twilio_number and
/// sms_alert_recipients).
struct Settings: Decodable, Sendable {
    var account_sid: String?
    var auth_token: String?
    /// The sender: a number of the Twilio account (E.164), Twilio's From.
    var from_number: String?
    /// Comma-separated E.164 numbers every alert SMS goes to (unless the alert template names its own).
    var recipients: String?
    /// Twilio's API root; another Twilio-compatible gateway or a test stand-in.
    var base_url: String?
    var timeout_seconds: Int?
    var max_attempts: Int?
    var backoff_seconds: Int?
    var backoff_max_seconds: Int?
    var send_sweep_seconds: Int?
    var retention_days: Int?
}

/// The checked settings: what `Settings` must be for texts to go out.
struct Config: Sendable {
    let accountSID: String
    let authToken: String
    let from: String
    let recipients: [String]
    let baseURL: String
    let timeout: Int
    let maxAttempts: Int
    let backoff: Int
    let backoffMax: Int
    let sweep: Int
    let retentionDays: Int

    /// Twilio's Messages resource of the account.
    var messagesURL: String { "\(baseURL)/2010-04-01/Accounts/\(accountSID)/Messages.json" }

    /// nil when no account_sid is set (the plugin then sends nothing); throws, naming the
    /// key, when a value is wrong or missing.
    init?(_ s: Settings) throws {
        let sid = (s.account_sid ?? "").trimmingCharacters(in: .whitespaces)
        if sid.isEmpty { return nil }
        guard sid.count <= 64, sid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw PluginError(.invalid, "[settings] account_sid: \"\(sid)\" is not an account SID (letters and digits, e.g. AC...)")
        }
        let token = s.auth_token ?? ""
        guard !token.isEmpty else { throw PluginError(.invalid, "[settings] auth_token: empty (set with account_sid)") }
        let from = (s.from_number ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.isE164(from) else {
            throw PluginError(.invalid, "[settings] from_number: \"\(from)\" is not a phone number in E.164 form (+15551234567)")
        }
        let recipients = (s.recipients ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !recipients.isEmpty else { throw PluginError(.invalid, "[settings] recipients: no number given (a comma-separated list)") }
        for number in recipients where !Self.isE164(number) {
            throw PluginError(.invalid, "[settings] recipients: \"\(number)\" is not a phone number in E.164 form (+15551234567)")
        }
        var base = (s.base_url ?? "https://api.twilio.com").trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.query == nil else {
            throw PluginError(.invalid, "[settings] base_url: \"\(base)\" is not an http(s) URL")
        }
        func bounded(_ name: String, _ value: Int?, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            let v = value ?? fallback
            guard range.contains(v) else {
                throw PluginError(.invalid, "[settings] \(name): \(v) is not in \(range.lowerBound)-\(range.upperBound)")
            }
            return v
        }
        self.accountSID = sid
        self.authToken = token
        self.from = from
        self.recipients = recipients
        self.baseURL = base
        self.timeout = try bounded("timeout_seconds", s.timeout_seconds, 30, 1...600)
        self.maxAttempts = try bounded("max_attempts", s.max_attempts, 10, 1...1000)
        self.backoff = try bounded("backoff_seconds", s.backoff_seconds, 30, 1...86_400)
        self.backoffMax = try bounded("backoff_max_seconds", s.backoff_max_seconds, 3600, 1...604_800)
        self.sweep = try bounded("send_sweep_seconds", s.send_sweep_seconds, 30, 1...3600)
        self.retentionDays = try bounded("retention_days", s.retention_days, 90, 0...36_500)
    }

    /// E.164: '+', a non-zero digit, then 1 to 14 digits.
    static func isE164(_ text: String) -> Bool {
        let digits = text.dropFirst()
        return text.hasPrefix("+") && (2...15).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
            && digits.first != "0"
    }
}
