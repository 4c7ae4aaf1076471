import Foundation
import Logging

/// The process's log output: text lines (swift-log's stream handler) or one JSON object per
/// line (`log.format = "json"`, for journald, Loki, Elasticsearch and the like), to standard
/// error, at `log.level`.
public enum LogSetup {
    public enum Format: String, Sendable, CaseIterable { case text, json }

    /// Bootstraps swift-log once per process and returns the host's logger.
    public static func bootstrap(level: String, format: String) -> Logger {
        let threshold = Logger.Level(rawValue: level) ?? .info
        let json = Format(rawValue: format) == .json
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = threshold
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = threshold
            return handler
        }
        return Logger(label: "garrison")
    }
}
