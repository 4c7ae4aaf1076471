import Foundation

/// Paths in the package: the built `garrison` executable and the repository root.
enum PackagePaths {
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `garrison` binary built next to the test bundle (scripts/test.sh builds it first).
    static var garrison: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for candidate in [
            bundle.appendingPathComponent("garrison"), bundle.deletingLastPathComponent().appendingPathComponent("garrison"),
            root.appendingPathComponent(".build/debug/garrison"),
        ] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return root.appendingPathComponent(".build/debug/garrison")
    }
}
