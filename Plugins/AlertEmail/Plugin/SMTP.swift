import CCurl
import Foundation

/// One SMTP send through libcurl (CCurl's ccurl_smtp_send_on), on a thread of its own: it
/// blocks for up to timeout_seconds, and Swift's cooperative pool has one thread per core.
enum SMTP {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// One connection for a burst of sends: libcurl keeps it open in the handle between
    /// sends to the same server, so each further message is one MAIL/RCPT/DATA transaction
    /// instead of connect, EHLO, STARTTLS and AUTH again. Used by one send at a time; `close`
    /// ends it (QUIT) on a thread of its own.
    final class Session: @unchecked Sendable {
        let handle = ccurl_session_new()

        func close() {
            Thread { [self] in ccurl_session_free(self.handle) }.start()
        }
    }

    static func send(config: Config, data: Data, session: Session? = nil) async -> Result<Void, Failure> {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: sendBlocking(config: config, data: data, session: session))
            }.start()
        }
    }

    static func sendBlocking(config: Config, data: Data, session: Session? = nil) -> Result<Void, Failure> {
        var errbuf = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var reply = [CChar](repeating: 0, count: 1024)
        let tls: Int32 = config.tls == .none ? 0 : config.tls == .starttls ? 1 : 2
        let recipients = config.recipients.map { "<\($0)>" }.joined(separator: "\n")
        let code = data.withUnsafeBytes { bytes in
            ccurl_smtp_send_on(
                session?.handle, config.url, tls, config.verify ? 1 : 0, config.caFile, config.username, config.password, config.loginOptions,
                "<\(config.from)>", recipients, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count,
                config.timeout, &errbuf, &reply, reply.count)
        }
        if code == 0 { return .success(()) }
        let curl = text(errbuf)
        let server = text(reply)
        var text = curl.isEmpty ? String(cString: ccurl_strerror(code)) : curl
        if !server.isEmpty { text += " (server: \(server))" }
        return .failure(Failure(description: text))
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The message as sent: RFC 5322 headers and a UTF-8 plain-text body, CRLF lines.
enum Mail {
    static func message(config: Config, notification: Int, subject: String, body: String, messageID: String? = nil) -> Data {
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.timeZone = TimeZone(identifier: "UTC")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let domain = config.from.split(separator: "@").last.map(String.init) ?? "localhost"
        let headers = [
            "Date: \(date.string(from: Date()))",
            "From: \(config.from)",
            "To: \(config.recipients.joined(separator: ", "))",
            "Subject: \(encodedHeader(subject))",
            "Message-ID: <\(messageID ?? "alert-notification-\(notification)")@\(domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        return Data((headers.joined(separator: "\r\n") + "\r\n\r\n" + lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// ASCII as is (line breaks folded to spaces); anything else as an RFC 2047 UTF-8 word.
    static func encodedHeader(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.unicodeScalars.allSatisfy({ $0.isASCII }) { return flat }
        return "=?UTF-8?B?\(Data(flat.utf8).base64EncodedString())?="
    }
}
