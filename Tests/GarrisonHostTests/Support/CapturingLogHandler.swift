import Logging
import NIOConcurrencyHelpers

/// Keeps every log line, so tests can check what an operator would read.
struct CapturingLogHandler: LogHandler {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    final class Store: Sendable {
        let lines = NIOLockedValueBox<[Line]>([])
        var all: [Line] { lines.withLockedValue { $0 } }
        func errors(mentioning text: String) -> [Line] {
            all.filter { $0.level >= .error && "\($0.message) \($0.metadata)".contains(text) }
        }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.lines.withLockedValue {
            $0.append(Line(level: event.level, message: "\(event.message)", metadata: self.metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }

    static func logger() -> (Logger, Store) {
        let store = Store()
        return (Logger(label: "test") { _ in CapturingLogHandler(store: store) }, store)
    }
}
