import Foundation

/// Reads one sample from /metrics/ text (Prometheus exposition format): the value of the line
/// `name{labels}` or `name` when `labels` is empty (labels as the host writes them, sorted).
enum PrometheusText {
    static func value(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        let series = labels.isEmpty ? name : name + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }

    /// The sample from a host's /metrics/, read with the given token.
    static func value(_ host: TestHost, token: String, _ name: String, _ labels: [String: String] = [:]) async throws -> Double? {
        let reply = try await host.request(.get, "/metrics/", as: .token(token))
        guard reply.status == 200 else { throw TestFailure("/metrics/: \(reply.status)") }
        return value(reply.text, name, labels)
    }
}
