import Foundation

/// Linux package updates through the agent's `runscript` (no agent change): a scan script that
/// prints what the package manager would upgrade in a line format of its own, the parser of
/// that output into the same update rows as Windows updates, and the install script for
/// exactly the approved packages.
///
/// Rows of Linux packages are told apart from Windows updates by their `guid`, which starts
/// with the manager's name (`apt:openssl`, `dnf:openssl`), and by `categories`, whose first
/// item is the manager (`"apt"`, `"dnf"`); `kb` is the package name.
public enum LinuxPackages {
    /// One upgradable package.
    public struct Upgrade: Equatable, Sendable {
        public let manager: String
        public let name: String
        public let installed: String
        public let candidate: String
        public let origins: [String]
        public var security: Bool { origins.contains { $0.lowercased().contains("security") } }

        public var guid: String { "\(manager):\(name)" }
        public var severity: String { security ? "Important" : "" }
        public var title: String { installed.isEmpty ? "\(name) (new) \(candidate)" : "\(name) \(installed) -> \(candidate)" }

        public func package() -> WUAPackage {
            WUAPackage(
                guid: guid, title: title, description: origins.joined(separator: ", "),
                categories: [manager] + (security ? ["security"] : []), kb_article_ids: [], severity: severity)
        }
    }

    public struct Scan: Equatable, Sendable {
        public var os = ""
        public var manager = ""
        public var rebootRequired = false
        public var upgrades: [Upgrade] = []
    }

    /// The scan script: POSIX sh, for Debian/Ubuntu (apt) and Fedora/RHEL/Rocky/Alma (dnf).
    /// Other systems answer `MANAGER none`. It changes nothing on the machine.
    public static let scanScript = #"""
        #!/bin/sh
        # Garrison patch scan 1: what the package manager would upgrade, changing nothing.
        [ -r /etc/os-release ] && . /etc/os-release
        echo "GARRISON-PATCH-SCAN 1"
        echo "OS ${ID:-unknown} ${VERSION_ID:-}"
        if command -v apt-get >/dev/null 2>&1; then
            echo "MANAGER apt"
            if [ -f /var/run/reboot-required ]; then echo "REBOOT yes"; else echo "REBOOT no"; fi
            LC_ALL=C apt-get -s -o Debug::NoLocking=1 dist-upgrade 2>/dev/null | grep '^Inst '
        elif command -v dnf >/dev/null 2>&1; then
            echo "MANAGER dnf"
            if command -v needs-restarting >/dev/null 2>&1; then
                if needs-restarting -r >/dev/null 2>&1; then echo "REBOOT no"; else echo "REBOOT yes"; fi
            else
                echo "REBOOT no"
            fi
            dnf -q updateinfo list --updates security 2>/dev/null | awk '{print "SEC " $3}'
            dnf -q check-update 2>/dev/null | awk 'NF==3 && $1 ~ /\./ {print "UPD " $1 " " $2 " " $3}'
            rpm -qa --qf 'HAVE %{NAME}.%{ARCH} %{VERSION}-%{RELEASE}\n' 2>/dev/null
        else
            echo "MANAGER none"
        fi
        """#

    /// The scan script's output, parsed. Lines it does not know are ignored.
    public static func parse(_ output: String) -> Scan {
        var scan = Scan()
        var dnfSecurity: Set<String> = []
        var dnfUpdates: [(name: String, version: String, repo: String)] = []
        var have: [String: String] = [:]
        for raw in output.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("OS ") { scan.os = String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces) }
            else if line.hasPrefix("MANAGER ") { scan.manager = String(line.dropFirst(8)) }
            else if line.hasPrefix("REBOOT ") { scan.rebootRequired = line.hasSuffix("yes") }
            else if line.hasPrefix("Inst "), let upgrade = aptLine(line) { scan.upgrades.append(upgrade) }
            else if line.hasPrefix("SEC ") { dnfSecurity.insert(String(line.dropFirst(4))) }
            else if line.hasPrefix("UPD ") {
                let parts = line.split(separator: " ").map(String.init)
                if parts.count == 4 { dnfUpdates.append((parts[1], parts[2], parts[3])) }
            } else if line.hasPrefix("HAVE ") {
                let parts = line.split(separator: " ").map(String.init)
                if parts.count == 3 { have[parts[1]] = parts[2] }
            }
        }
        for update in dnfUpdates {
            // "openssl.x86_64" -> "openssl"; the security list names "openssl-1:3.0.7-27.el9.x86_64".
            let base = update.name.split(separator: ".").dropLast().joined(separator: ".")
            let name = base.isEmpty ? update.name : base
            let bareVersion = update.version.split(separator: ":").last.map(String.init) ?? update.version
            let arch = update.name.split(separator: ".").last.map(String.init) ?? ""
            let security = dnfSecurity.contains { $0.hasPrefix(name + "-") && $0.contains(bareVersion) && $0.hasSuffix(arch) }
            scan.upgrades.append(
                Upgrade(
                    manager: "dnf", name: name, installed: have[update.name] ?? "", candidate: update.version,
                    origins: [update.repo] + (security ? ["security"] : [])))
        }
        return scan
    }

    /// `Inst libssl3 [3.0.11-1~deb12u1] (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])`:
    /// the package, the installed version (absent for a new package), the candidate and its origins.
    static func aptLine(_ line: String) -> Upgrade? {
        var rest = Substring(line.dropFirst(5))
        guard let space = rest.firstIndex(of: " ") else { return nil }
        let name = String(rest[..<space])
        rest = rest[rest.index(after: space)...]
        var installed = ""
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            installed = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        guard rest.hasPrefix("("), let close = rest.lastIndex(of: ")") else { return nil }
        var inner = rest[rest.index(after: rest.startIndex)..<close]
        // Drop the trailing " [amd64]".
        if let bracket = inner.lastIndex(of: "[") { inner = inner[..<bracket] }
        let fields = inner.trimmingCharacters(in: .whitespaces)
        guard let gap = fields.firstIndex(of: " ") else { return nil }
        let candidate = String(fields[..<gap])
        let origins = fields[fields.index(after: gap)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return Upgrade(manager: "apt", name: name, installed: installed, candidate: candidate, origins: origins)
    }

    /// A package name as apt and dnf accept it; anything else is never put into a script.
    public static func isPackageName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return name.count <= 128
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "+-._:".unicodeScalars.contains($0) }
    }

    /// The install script for exactly `packages` (never a blanket upgrade): each package is
    /// upgraded on its own so the result is reported per package as `RESULT <name> ok|failed`,
    /// then `REBOOT yes|no`. Names that are not package names are left out.
    public static func installScript(manager: String, packages: [String]) -> String {
        let names = packages.filter(isPackageName)
        let command: String
        switch manager {
        case "apt": command = "DEBIAN_FRONTEND=noninteractive apt-get install -y --only-upgrade -o Dpkg::Options::=--force-confold"
        case "dnf": command = "dnf -y upgrade"
        default: command = "false"
        }
        var script = "#!/bin/sh\n# Garrison patch install 1: only the approved packages, one at a time.\n"
        for name in names {
            script += "if \(command) '\(name)' >/dev/null 2>&1; then echo \"RESULT \(name) ok\"; else echo \"RESULT \(name) failed\"; fi\n"
        }
        if manager == "dnf" {
            script += "if command -v needs-restarting >/dev/null 2>&1 && ! needs-restarting -r >/dev/null 2>&1; then echo 'REBOOT yes'; else echo 'REBOOT no'; fi\n"
        } else {
            script += "if [ -f /var/run/reboot-required ]; then echo 'REBOOT yes'; else echo 'REBOOT no'; fi\n"
        }
        return script
    }

    /// The install script's output: per package success, and whether a reboot is needed.
    public static func parseInstall(_ output: String) -> (results: [String: Bool], rebootRequired: Bool) {
        var results: [String: Bool] = [:]
        var reboot = false
        for raw in output.split(whereSeparator: \.isNewline) {
            let parts = raw.split(separator: " ").map(String.init)
            if parts.count == 3, parts[0] == "RESULT" { results[parts[1]] = parts[2] == "ok" }
            if parts.count == 2, parts[0] == "REBOOT" { reboot = parts[1] == "yes" }
        }
        return (results, reboot)
    }
}
