import Foundation
import PluginKit

/// What one submitted result means, as Tactical RMM's `CheckResult.handle_check` decides
/// it (docs/agent-protocol.md §7.6). Pure: the caller supplies the stored samples and
/// stores what comes back.
public struct Evaluation: Sendable, Equatable {
    public var status: CheckStatus
    /// The severity of a failing result; nil when passing.
    public var severity: Severity?
    public var moreInfo: String?
    public var stdout: String?
    public var stderr: String?
    public var retcode: Int?
    /// Seconds, formatted with four decimals as Tactical RMM stores it.
    public var executionTime: String?
    /// The last 15 samples of a cpuload or memory check; nil leaves the stored ones.
    public var samples: [Int]?
    /// {"log": [...]} for event log checks.
    public var extraDetails: RawJSON?
    /// The chart point: y, and the short text kept with it.
    public var historyY: Int?
    public var historyResults: RawJSON?
}

/// JSON text carried through unchanged (the event log entries, history details).
public struct RawJSON: Sendable, Equatable, Codable {
    public let text: String
    public init(_ text: String) { self.text = text }
    public init(from decoder: any Decoder) throws {
        text = String(decoding: try JSONEncoder().encode(try JSON(from: decoder)), as: UTF8.self)
    }
    public func encode(to encoder: any Encoder) throws {
        try (try JSONDecoder().decode(JSON.self, from: Data(text.utf8))).encode(to: encoder)
    }
}

/// The body of `PATCH /api/v3/checkrunner/` was wrong for the check's type.
public struct ResultError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public enum ResultEvaluator {
    /// The samples a cpuload or memory check averages.
    public static let sampleWindow = 15

    struct Disk: Decodable { let percent_used: Double; let exists: Bool; let more_info: String? }
    struct Percent: Decodable { let percent: Int }
    struct Script: Decodable { let stdout: String; let stderr: String; let retcode: Int; let runtime: Double }
    struct StatusOutput: Decodable { let status: String; let output: String?; let more_info: String? }
    struct EventLog: Decodable { let log: [JSON]? }

    /// Evaluates `body` (the agent's JSON) for `check`. `samples` are the stored samples of a
    /// cpuload or memory check, oldest first. Throws ResultError on a body of the wrong shape.
    public static func evaluate(_ check: CheckDefinition, body: Data, samples: [Int]) throws(ResultError) -> Evaluation {
        switch check.check_type {
        case .diskspace:
            let r: Disk = try decode(body)
            guard r.exists else {
                let info = "Disk \(check.disk ?? "") does not exist"
                return Evaluation(status: .failing, severity: .error, moreInfo: info, historyY: nil, historyResults: nil)
            }
            // Python's round(): halves go to the even neighbour.
            let used = Int(r.percent_used.rounded(.toNearestOrEven))
            let free = 100 - used
            var e = Evaluation(status: .passing, moreInfo: r.more_info ?? "", historyY: free)
            if check.error_threshold != 0 && free < check.error_threshold {
                e.status = .failing; e.severity = .error
            } else if check.warning_threshold != 0 && free < check.warning_threshold {
                e.status = .failing; e.severity = .warning
            }
            return e
        case .cpuload, .memory:
            let r: Percent = try decode(body)
            let window = Array((samples + [r.percent]).suffix(sampleWindow))
            // int(mean(history)): the mean truncated toward zero.
            let average = Int((Double(window.reduce(0, +)) / Double(window.count)).rounded(.towardZero))
            var e = Evaluation(status: .passing, samples: window, historyY: r.percent)
            if check.error_threshold != 0 && average > check.error_threshold {
                e.status = .failing; e.severity = .error
            } else if check.warning_threshold != 0 && average > check.warning_threshold {
                e.status = .failing; e.severity = .warning
            }
            return e
        case .script:
            let r: Script = try decode(body)
            var e = Evaluation(
                status: .passing, stdout: r.stdout, stderr: r.stderr, retcode: r.retcode,
                executionTime: String(format: "%.4f", r.runtime))
            if check.info_return_codes.contains(r.retcode) {
                e.status = .failing; e.severity = .info
            } else if check.warning_return_codes.contains(r.retcode) {
                e.status = .failing; e.severity = .warning
            } else if check.success_return_codes.contains(r.retcode) {
                e.status = .passing
            } else if r.retcode != 0 {
                e.status = .failing; e.severity = .error
            }
            e.historyY = e.status == .failing ? 1 : 0
            let details: [String: JSON] = [
                "retcode": .number(Double(r.retcode)), "stdout": .string(String(r.stdout.prefix(60))),
                "stderr": .string(String(r.stderr.prefix(60))), "execution_time": .string(e.executionTime ?? ""),
            ]
            e.historyResults = json(.object(details))
            return e
        case .ping, .winsvc:
            let r: StatusOutput = try decode(body)
            guard let status = CheckStatus(rawValue: r.status), status != .pending else {
                throw ResultError("\"status\" must be \"passing\" or \"failing\"")
            }
            let info = (check.check_type == .ping ? r.output : r.more_info) ?? ""
            return Evaluation(
                status: status, severity: status == .failing ? check.alert_severity : nil, moreInfo: info,
                historyY: status == .failing ? 1 : 0, historyResults: json(.string(String(info.prefix(60)))))
        case .eventlog:
            let r: EventLog = try decode(body)
            let log = r.log ?? []
            let enough = !log.isEmpty && log.count >= check.number_of_events_b4_alert
            let failing = (check.fail_when ?? .contains) == .contains ? enough : !enough
            return Evaluation(
                status: failing ? .failing : .passing, severity: failing ? check.alert_severity : nil,
                extraDetails: json(.object(["log": .array(log)])), historyY: failing ? 1 : 0,
                historyResults: json(.string("Events Found:\(log.count)")))
        }
    }

    static func decode<T: Decodable>(_ body: Data) throws(ResultError) -> T {
        do { return try JSONDecoder().decode(T.self, from: body) } catch {
            throw ResultError(describe(error))
        }
    }

    static func json(_ value: JSON) -> RawJSON {
        RawJSON(String(decoding: (try? JSONEncoder().encode(value)) ?? Data("null".utf8), as: UTF8.self))
    }

    /// One short line naming the key at fault, for the 400 answer.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String { keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let ctx): return "missing key \"\(path(ctx.codingPath + [key]))\""
        case .valueNotFound(_, let ctx): return "\"\(path(ctx.codingPath))\" is null"
        case .typeMismatch(let type, let ctx): return "\"\(path(ctx.codingPath))\" is not of type \(type)"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "\"\(path(ctx.codingPath))\": \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
