import Foundation
import Testing
@testable import GarrisonHost

/// docs/tactical-rmm-compatibility.md against the live route table of a host with every shipped
/// plugin, so the table cannot go stale: a Tactical RMM route marked served must be served, one
/// marked missing must not be, and every served route is listed, either as Tactical RMM's or
/// in the table of Garrison's own routes.
@Suite struct CompatibilityTableTests {
    struct Row: Hashable {
        let method: String
        let path: String
        let status: String
        var key: String { "\(method) \(CompatibilityTableTests.normalized(path))" }
    }

    static let statuses: Set<String> = ["yes", "differs", "no", "excluded", "garrison"]

    /// `<agent_id>` and `{agent_id}` alike become `{}`: only the shape of a path matters.
    static func normalized(_ path: String) -> String {
        var out = ""
        var inside = false
        for character in path {
            switch character {
            case "<", "{": inside = true; out += "{}"
            case ">", "}": inside = false
            default: if !inside { out.append(character) }
            }
        }
        return out
    }

    /// The rows of every table in the document whose first cell is an HTTP method and whose
    /// third is a status; websocket rows (`WS`) are listed there but have no schema entry.
    static func rows() throws -> [Row] {
        let text = try String(
            contentsOf: PackagePaths.root.appendingPathComponent("docs/tactical-rmm-compatibility.md"), encoding: .utf8)
        var rows: [Row] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "")
            }
            guard cells.count >= 4, ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(cells[1]) else { continue }
            rows.append(Row(method: cells[1], path: cells[2], status: cells[3]))
        }
        return rows
    }

    @Test(.timeLimit(.minutes(3)))
    func theTableMatchesTheRoutesAHostWithEveryShippedPluginServes() async throws {
        let rows = try Self.rows()
        #expect(rows.count > 200, "the table has \(rows.count) rows")
        for row in rows { #expect(Self.statuses.contains(row.status), "\(row.method) \(row.path): unknown status '\(row.status)'") }
        // The coverage line counts Tactical RMM's rows that are served.
        let trmm = rows.filter { $0.status != "garrison" }
        let present = trmm.filter { ["yes", "differs"].contains($0.status) }.count
        let document = try String(
            contentsOf: PackagePaths.root.appendingPathComponent("docs/tactical-rmm-compatibility.md"), encoding: .utf8)
        #expect(
            document.contains(
                "**Coverage: \(present) of \(trmm.count) route and method pairs (\(Int((Double(present) * 100 / Double(trmm.count)).rounded()))%).**"
            ),
            "the coverage line should say \(present) of \(trmm.count)")
        let duplicates = Dictionary(grouping: rows, by: \.key).filter { $0.value.count > 1 }.keys.sorted()
        #expect(duplicates.isEmpty, "listed twice: \(duplicates)")

        let folder = try PluginFolder.shippedPlugins()
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { $0.pluginsDirectory = folder.path }) { host in
            let admin = try await host.adminToken()
            let schema = try await host.request(.get, "/api/schema/", as: .token(admin)).json
            var served = Set<String>()
            var summaries: [String] = []
            for (path, item) in schema["paths"]?.objectValue ?? [:] {
                for (method, operation) in item.objectValue ?? [:] {
                    served.insert("\(method.uppercased()) \(Self.normalized(path))")
                    summaries.append("\(method.uppercased()) \(path)\t\(operation["summary"]?.stringValue ?? "")")
                }
            }
            #expect(served.count > 100, "the schema lists \(served.count) routes")
            // For whoever updates the table: each served route and its summary, one per line.
            if let out = ProcessInfo.processInfo.environment["GARRISON_ROUTES_OUT"] {
                try summaries.sorted().joined(separator: "\n").write(toFile: out, atomically: true, encoding: .utf8)
            }

            let listed = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0) }.reversed())
            var problems: [String] = []
            for row in rows {
                let isServed = served.contains(row.key)
                switch row.status {
                case "yes", "differs", "garrison":
                    if !isServed { problems.append("listed as \(row.status) but not served: \(row.method) \(row.path)") }
                default:
                    if isServed { problems.append("listed as \(row.status) but served (update the table): \(row.method) \(row.path)") }
                }
            }
            for key in served.sorted() where listed[key] == nil {
                problems.append("served but not in the table (add it as Tactical RMM's or Garrison's own): \(key)")
            }
            #expect(problems.isEmpty, "docs/tactical-rmm-compatibility.md is stale:\n\(problems.joined(separator: "\n"))")
        }
    }
}
