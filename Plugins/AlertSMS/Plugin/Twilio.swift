import CCurl
import Foundation
import PluginKit

/// One message through Twilio's Messages API (Plugins/AlertSMS/README.md): POST
/// <base_url>/2010-04-01/Accounts/<sid>/Messages.json, HTTP Basic auth with the account SID
/// and auth token, form fields To, From and Body; Twilio answers 201 with the message
/// resource (its sid), or an error status with {"code", "message", "more_info", "status"}.
/// Blocking libcurl on a thread of its own.
enum Twilio {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        let status: Int
        /// Worth trying again: no answer, 429 (rate limited) or a 5xx. Other 4xx (bad number,
        /// wrong credentials, unverified trial number) will not change by waiting.
        var retry: Bool { status == 0 || status == 429 || status >= 500 }
    }

    /// Twilio's message body limit (characters); longer bodies are cut.
    static let maxBody = 1600

    static func send(config: Config, to: String, body: String) async -> Result<String, Failure> {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: sendBlocking(config: config, to: to, body: body)) }.start()
        }
    }

    /// application/x-www-form-urlencoded, as Twilio's own libraries send it.
    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~ ")
        func encode(_ s: String) -> String {
            (s.addingPercentEncoding(withAllowedCharacters: allowed) ?? "").replacingOccurrences(of: " ", with: "+")
        }
        return fields.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    static func sendBlocking(config: Config, to: String, body: String) -> Result<String, Failure> {
        let text = String(body.prefix(maxBody))
        let data = Array(form([("To", to), ("From", config.from), ("Body", text)]).utf8)
        var errbuf = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var answer = [CChar](repeating: 0, count: 16_384)
        var status = 0
        let headers = [
            "Accept: application/json", "Accept-Charset: utf-8", "Content-Type: application/x-www-form-urlencoded",
            "User-Agent: garrison-alert-sms/0.1.0",
        ].joined(separator: "\n")
        let code = data.withUnsafeBufferPointer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { pointer in
                ccurl_http(
                    "POST", config.messagesURL, config.accountSID, config.authToken, headers, pointer, bytes.count, config.timeout,
                    &status, &answer, answer.count, &errbuf)
            }
        }
        let reply = String(decoding: answer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if code != 0 {
            let curl = String(decoding: errbuf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(Failure(description: curl.isEmpty ? String(cString: ccurl_strerror(code)) : curl, status: 0))
        }
        let json = try? JSON(parsing: Data(reply.utf8))
        if (200..<300).contains(status) { return .success(json?["sid"]?.stringValue ?? "") }
        return .failure(Failure(description: errorText(status: status, json: json, raw: reply), status: status))
    }

    /// Twilio's error as twilio-python words it ("HTTP 400 error: Unable to create record:
    /// <message>"), with Twilio's code and its page when the answer carries them.
    static func errorText(status: Int, json: JSON?, raw: String) -> String {
        guard let json, let message = json["message"]?.stringValue else {
            let flat = raw.replacingOccurrences(of: "\n", with: " ").prefix(200)
            return "HTTP \(status) error: Unable to create record: \(flat.isEmpty ? "no message" : String(flat))"
        }
        var text = "HTTP \(status) error: Unable to create record: \(message)"
        if let code = json["code"]?.intValue {
            text += " (Twilio code \(code)\(json["more_info"]?.stringValue.map { ", " + $0 } ?? ""))"
        }
        return text
    }
}
