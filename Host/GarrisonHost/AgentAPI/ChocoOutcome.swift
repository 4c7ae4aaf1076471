/// Whether a chocolatey install succeeded, read from the output the agent sends with its
/// chocoresult: chocolatey prints no machine-readable status, so the words of its success
/// line, or of its "already installed" line, are looked for as Tactical RMM does, so that
/// both servers mark the same runs installed.
enum ChocoOutcome {
    static func installed(package: String, output: String) -> Bool {
        let text = output.lowercased()
        let name = package.lowercased()
        let success = ["install", "of", name, "was", "successful", "installed"]
        let already = [name, "already", "installed", "--force", "reinstall"]
        return success.allSatisfy { text.contains($0) } || already.allSatisfy { text.contains($0) }
    }
}
