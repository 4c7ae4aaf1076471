import Foundation

/// NATS server URLs as they may be written to a log: `nats.url` can carry credentials
/// (`nats://user:secret@host:4222`, or a token as `nats://token@host`), and may list several
/// servers separated by commas.
public enum NATSURL {
    /// `user:pass@` becomes `user:***@` and a lone token `***@`; everything else is kept.
    public static func redacted(_ urls: String) -> String {
        urls.split(separator: ",", omittingEmptySubsequences: false).map { redactOne(String($0)) }.joined(separator: ",")
    }

    private static func redactOne(_ url: String) -> String {
        let start = url.range(of: "://")?.upperBound ?? url.startIndex
        // The authority ends at the first '/', '?' or '#' after the scheme; credentials are
        // what comes before its last '@'.
        let authorityEnd = url[start...].firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? url.endIndex
        guard let at = url[start..<authorityEnd].lastIndex(of: "@") else { return url }
        let credentials = url[start..<at]
        let masked = credentials.firstIndex(of: ":").map { String(credentials[..<$0]) + ":***" } ?? "***"
        return String(url[..<start]) + masked + String(url[at...])
    }
}
