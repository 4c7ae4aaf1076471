import ArgumentParser
import Foundation
import GarrisonHost

/// `garrison plugins`: what `GET /core/plugins/` would show, without a running server.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Load plugins.d in-process (no database, nothing served), list each plugin and what it registers, then unload.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Print the listing as JSON, as GET /core/plugins/ does.") var json = false

    func run() async throws {
        let config = try options.load()
        let logger = makeLogger(config)
        let listing = await GarrisonHostServer.inspectPlugins(config: config, logger: logger)
        if json {
            print(String(decoding: JSON.array(listing).serialized(), as: UTF8.self))
        } else if listing.isEmpty {
            print("\(config.pluginsDirectory): no plugin files")
        } else {
            for entry in listing { print(Self.describe(entry)) }
        }
        if listing.contains(where: { $0["state"]?.stringValue == "failed" }) { throw ExitCode(1) }
    }

    static func describe(_ entry: JSON) -> String {
        func text(_ key: String) -> String { entry[key]?.stringValue ?? "-" }
        func list(_ key: String) -> String {
            let items = entry[key]?.arrayValue?.compactMap(\.stringValue) ?? []
            return items.isEmpty ? "none" : items.joined(separator: ", ")
        }
        let state = text("state") == "running" ? "ok" : text("state")
        var lines = [
            "\(text("name")) \(text("version")) [\(state)] abi \(text("abi")) build \(text("build_info"))",
            "  file     \(text("file"))",
            "  library  \(text("library"))",
        ]
        if let reason = entry["reason"]?.stringValue { lines.append("  reason   \(reason)") }
        for route in entry["routes"]?.arrayValue ?? [] {
            lines.append(
                "  route    \(route["method"]?.stringValue ?? "") \(route["path"]?.stringValue ?? "") (\(route["permission"]?.stringValue ?? ""))"
            )
        }
        if entry["routes"] != nil {
            lines.append(
                "  jobs \(list("jobs")); events \(list("subscriptions")); agent handlers \(list("agent_handlers")); auth hook \(entry["auth_hook"]?.boolValue == true ? "yes" : "no")"
            )
            if let ms = entry["load_ms"]?.doubleValue { lines.append("  loaded in \(ms) ms") }
        }
        return lines.joined(separator: "\n")
    }
}
