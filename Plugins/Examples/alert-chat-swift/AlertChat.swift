import CCurl
import Foundation
import PluginKit

/// alert-chat -- an example alert channel written against PluginAPI/README.md, "Adding an
/// alert channel", without a line changed in the alerts plugin: it posts every alert
/// notification to a chat's incoming webhook as {"text": "<subject>\n<body>"}.
///
/// 1. subscribes to alert.notify and keeps the notifications of the channel it follows
///    (`follow`, e-mail by default: the same alerts as the e-mail plugin, its own copy);
/// 2. keeps each once in its own outbox (unique notification_id: the alerts plugin
///    publishes at least once);
/// 3. delivers from the outbox: claims due rows with a lease, posts, marks sent once, or
///    retries with exponential backoff; the job alert_chat.send sweeps after a restart;
/// 4. counts sent, retried and failed on /metrics/ with channel "chat".
final class AlertChat: GarrisonPlugin {
    static let name: StaticString = "alert_chat"
    static let version: StaticString = "0.1.0"

    struct Settings: Decodable {
        var url: String?
        var follow: String?
    }

    static let maxAttempts = 8
    static let timeoutSeconds = 10

    let host: PluginHost
    /// Empty: not configured, nothing is kept or sent.
    let url: String
    let follow: String
    private let sender = SingleFlight()

    init(host: PluginHost) throws {
        self.host = host
        let settings = try host.settings(Settings.self)
        url = (settings.url ?? "").trimmingCharacters(in: .whitespaces)
        follow = settings.follow ?? "email"
        guard url.isEmpty || url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw PluginError(.invalid, "[settings] url: \"\(url)\" is not an http(s) URL")
        }
        ccurl_global_init()
    }

    func register(_ r: Registrar) throws {
        try r.migration(
            version: 1,
            sql: """
                CREATE TABLE outbox (
                    notification_id bigint PRIMARY KEY,
                    text text NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt timestamptz NOT NULL DEFAULT now(),
                    last_error text,
                    sent_time timestamptz,
                    gave_up boolean NOT NULL DEFAULT false
                )
                """)
        guard !url.isEmpty else { return }
        for outcome in ["sent", "retried", "failed"] { host.count("notifications_\(outcome)_total", labels: ["channel": "chat"], by: 0) }
        try r.subscribe("alert.notify") { event in await self.received(event.json) }
        try r.jobKind("alert_chat.send") { _ in
            try await self.sendDue()
            return [:]
        }
        try r.subscribe("core.started") { _ in await self.schedule() }
        Task { await self.schedule() }
    }

    func schedule() async {
        _ = try? await host.upsertSchedule(["id": "alert-chat-send", "kind": "alert_chat.send", "every_s": 30] as JSON)
        kick()
    }

    func received(_ e: JSON) async {
        guard e["channel"]?.stringValue == follow, let id = e["notification_id"]?.intValue else { return }
        let text = [e["subject"]?.stringValue, e["body"]?.stringValue].compactMap { $0 }.joined(separator: "\n")
        do {
            try await host.execute("INSERT INTO outbox (notification_id, text) VALUES ($1, $2) ON CONFLICT DO NOTHING", [id, text])
        } catch { host.log(.error, "keeping notification #\(id): \(error)") }
        kick()
    }

    func kick() {
        sender.kick {
            do { try await self.sendDue() } catch { self.host.log(.warning, "sending: \(error)") }
        }
    }

    struct Due: Decodable, Sendable {
        let notification_id: Int
        let text: String
        let attempts: Int
    }

    func sendDue() async throws {
        while true {
            // The lease: a row being sent is not due for anyone else until the send's deadline passed.
            let due: [Due] = try await host.query(
                """
                UPDATE outbox SET next_attempt = now() + make_interval(secs => $1::int) WHERE notification_id IN (
                    SELECT notification_id FROM outbox WHERE sent_time IS NULL AND NOT gave_up AND next_attempt <= now()
                    ORDER BY notification_id LIMIT 20 FOR UPDATE SKIP LOCKED)
                RETURNING notification_id, text, attempts
                """, [Self.timeoutSeconds * 2 + 30])
            if due.isEmpty { return }
            for row in due {
                let error = await post(row.text)
                if error == nil {
                    try await host.execute(
                        "UPDATE outbox SET sent_time = now(), attempts = attempts + 1, last_error = NULL WHERE notification_id = $1 AND sent_time IS NULL",
                        [row.notification_id])
                    host.count("notifications_sent_total", labels: ["channel": "chat"])
                    continue
                }
                let giveUp = row.attempts + 1 >= Self.maxAttempts
                let delay = min(30 * (1 << row.attempts), 3600)
                try await host.execute(
                    """
                    UPDATE outbox SET attempts = attempts + 1, last_error = $2, gave_up = $3::boolean,
                                      next_attempt = now() + make_interval(secs => $4::int)
                    WHERE notification_id = $1
                    """, [row.notification_id, error, giveUp, delay])
                host.count(giveUp ? "notifications_failed_total" : "notifications_retried_total", labels: ["channel": "chat"])
            }
        }
    }

    /// One POST of {"text": ...} on a thread of its own (libcurl blocks); nil when the chat
    /// answered 2xx, else what went wrong.
    func post(_ text: String) async -> String? {
        let body = Array(JSON.object(["text": .string(text)]).jsonBytes)
        let url = self.url
        return await withCheckedContinuation { continuation in
            Thread {
                var errbuf = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
                var answer = [CChar](repeating: 0, count: 1024)
                var status = 0
                let code = body.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { pointer in
                        ccurl_http(
                            "POST", url, nil, nil, "Content-Type: application/json\nExpect:", pointer.baseAddress, pointer.count,
                            Self.timeoutSeconds, &status, &answer, answer.count, &errbuf)
                    }
                }
                if code != 0 {
                    continuation.resume(returning: String(cString: ccurl_strerror(code)))
                } else if !(200..<300).contains(status) {
                    continuation.resume(returning: "HTTP \(status)")
                } else {
                    continuation.resume(returning: nil)
                }
            }.start()
        }
    }
}
