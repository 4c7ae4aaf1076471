import Foundation
import Testing
@testable import GarrisonHost

/// The example channel Plugins/Examples/alert-chat-swift, written from PluginAPI/README.md's
/// "Adding an alert channel" alone, next to the unchanged checks and alerts plugins: a failing
/// check's e-mail notification is posted to a chat webhook (the webhook receiver fixture) once,
/// a repeated alert.notify is dropped, and /metrics/ counts it under the example's prefix.
@Suite struct PluginsAlertChatExampleTests {
    @Test func aThirdPartyChannelPostsEachNotificationOnce() async throws {
        let receiver = try PluginsURLActionsTests.Receiver()
        try await receiver.start()
        defer { receiver.stop() }
        try await PluginsAlertsTests.with(
            extra: { folder in
                let copy = try folder.copyBuilt("libAlertChatExamplePlugin.so")
                try folder.write(
                    "64-alert-chat.toml",
                    "library = \"\(copy)\"\nenabled = true\nrequired = true\n\n[settings]\nurl = \"http://127.0.0.1:\(receiver.port)/chat\"\n")
            }
        ) { w in
            let id = try await PluginsAlertEmailTests.mailedCheck(w)
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually(20) { try receiver.requests().count == 1 })
            let posted = try #require(try receiver.requests().first)
            let body = try JSON.parse(Data((posted["body"]?.stringValue ?? "").utf8))
            #expect(posted["path"] == "/chat" && body["text"] == "Alerts Co, HQ, web-1 - Ping gateway Failed\n100% packet loss", "\(posted)")

            // The alerts plugin's at-least-once repeat is kept once and not posted again.
            let notice = try #require(w.events.named("alert.notify").first { $0["channel"] == "email" })
            w.host.server.context.events.publish("alert.notify", notice.objectValue ?? [:])
            #expect(
                try await w.host.eventually(10) {
                    try await w.pool.query("SELECT count(sent_time) AS n FROM plugin_alert_chat.outbox").first?.int("n") == 1
                })
            #expect(try receiver.requests().count == 1)
            #expect(
                try await PrometheusText.value(w.host, token: w.admin, "garrison_plugin_alert_chat_notifications_sent_total", ["channel": "chat"])
                    == 1)
        }
    }
}
