import Foundation
import NIOConcurrencyHelpers
@testable import GarrisonHost

/// Several `garrison serve` processes on one PostgreSQL, each in a network namespace of its
/// own (docs/scale-out.md): a bridge in the test's namespace, one veth pair per namespace,
/// PostgreSQL (and HAProxy, when asked) in namespace 1 and host i in namespace i + 1, all on
/// 10.X.Y.0/24. The test process reaches every address through the bridge. `tearDown` kills
/// everything left in the namespaces and removes them, the bridge and the folder; namespaces a
/// killed test run left behind (their name carries its pid) are removed by the next `make`.
final class ScaleOutWorld: Sendable {
    static let prefix = "gso"

    let tag: String
    let subnet: String
    let folder: URL
    let namespaces: [String]
    let databaseURL: String
    let hostPort = 8000
    let haproxyPort = 8080
    private let ip: String
    private let children = NIOLockedValueBox<[pid_t]>([])
    /// agent_actions (ping, cmd), put into every host's plugins.d.
    private let agentActions = NIOLockedValueBox<PluginFolder?>(nil)

    /// Why the scale-out tests cannot run here, or nil when they can.
    static var skipReason: String? {
        if geteuid() != 0 { return "ScaleOut tests skipped: they create network namespaces and must run as root" }
        if Subprocess.which("ip", extraDirectories: ["/usr/sbin", "/sbin", "/usr/bin"]) == nil {
            return "ScaleOut tests skipped: iproute2's ip is not installed (scripts/install-deps.sh)"
        }
        if Subprocess.which("setpriv", extraDirectories: ["/usr/bin", "/bin"]) == nil { return "ScaleOut tests skipped: setpriv (util-linux) is missing" }
        return nil
    }

    var databaseAddress: String { "\(subnet).1" }
    func hostAddress(_ index: Int) -> String { "\(subnet).\(index + 2)" }
    func hostURL(_ index: Int) -> String { "http://\(hostAddress(index)):\(hostPort)" }
    func hostNamespace(_ index: Int) -> String { namespaces[index + 1] }
    func hostFolder(_ index: Int) -> URL { folder.appendingPathComponent("host\(index)") }
    var balancerURL: String { "http://\(databaseAddress):\(haproxyPort)" }

    private init(tag: String, subnet: String, folder: URL, namespaces: [String], ip: String) {
        self.tag = tag
        self.subnet = subnet
        self.folder = folder
        self.namespaces = namespaces
        self.ip = ip
        self.databaseURL = "postgresql://garrison@\(subnet).1:5432/garrison?connect_timeout=5"
    }

    /// The namespaces, the bridge and a PostgreSQL in namespace 1 with an empty `garrison`
    /// database; no host yet.
    static func make(hosts: Int) throws -> ScaleOutWorld {
        let ip = Subprocess.which("ip", extraDirectories: ["/usr/sbin", "/sbin", "/usr/bin"])!
        removeLeftovers(ip: ip)
        let tag = "\(prefix)\(getpid())\(Crypto.randomHex(bytes: 1))"
        let subnet = "10.\(Int.random(in: 100...250)).\(Int.random(in: 1...250))"
        let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("garrison-scaleout-\(Crypto.randomHex(bytes: 4))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        chmod(folder.path, 0o755)
        let world = ScaleOutWorld(
            tag: tag, subnet: subnet, folder: folder, namespaces: (0...hosts).map { "\(tag)-\($0)" }, ip: ip)
        do {
            let actions = try PluginFolder.agentActions()
            world.agentActions.withLockedValue { $0 = actions }
            try world.plumb()
            try world.startPostgres()
        } catch {
            world.tearDown()
            throw error
        }
        return world
    }

    /// Namespaces and bridges named by a test process that is gone.
    private static func removeLeftovers(ip: String) {
        let listed = (try? Subprocess.run(ip, ["netns", "list"]).output) ?? ""
        for line in listed.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix(prefix), let dash = name.firstIndex(of: "-") else { continue }
            let digits = name[name.index(name.startIndex, offsetBy: prefix.count)..<dash].dropLast(2)
            if let pid = Int32(digits), pid == getpid() || kill(pid, 0) == 0 { continue }
            killAll(in: name, ip: ip)
            _ = try? Subprocess.run(ip, ["netns", "del", name])
        }
        let links = (try? Subprocess.run(ip, ["-o", "link", "show", "type", "bridge"]).output) ?? ""
        for line in links.split(separator: "\n") {
            let parts = line.split(separator: ":")
            guard parts.count > 1 else { continue }
            let name = parts[1].trimmingCharacters(in: .whitespaces)
            guard name.hasPrefix("b" + prefix), let pid = Int32(name.dropFirst(1 + prefix.count).dropLast(2)), kill(pid, 0) != 0 else {
                continue
            }
            _ = try? Subprocess.run(ip, ["link", "del", name])
        }
    }

    private static func killAll(in namespace: String, ip: String) {
        let pids = (try? Subprocess.run(ip, ["netns", "pids", namespace]).output) ?? ""
        for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
    }

    private func run(_ arguments: [String]) throws {
        let result = try Subprocess.run(ip, arguments)
        guard result.status == 0 else { throw TestFailure("ip \(arguments.joined(separator: " ")): \(result.output)") }
    }

    private var bridge: String { "b\(tag)" }

    private func plumb() throws {
        try run(["link", "add", bridge, "type", "bridge"])
        try run(["addr", "add", "\(subnet).254/24", "dev", bridge])
        try run(["link", "set", bridge, "up"])
        for (index, namespace) in namespaces.enumerated() {
            let outside = "v\(tag)\(index)"
            let inside = "e\(tag)\(index)"
            try run(["netns", "add", namespace])
            try run(["link", "add", outside, "type", "veth", "peer", "name", inside])
            try run(["link", "set", inside, "netns", namespace])
            try run(["link", "set", outside, "master", bridge])
            try run(["link", "set", outside, "up"])
            try run(["-n", namespace, "addr", "add", "\(subnet).\(index + 1)/24", "dev", inside])
            try run(["-n", namespace, "link", "set", inside, "up"])
            try run(["-n", namespace, "link", "set", "lo", "up"])
        }
    }

    /// A long-lived child started inside `namespace`, dying with the test process.
    func spawn(in namespace: String, _ command: [String], log: URL, environment: [String: String]? = nil) throws -> pid_t {
        let pid = try ChildProcess.spawn(ip, ["netns", "exec", namespace] + command, logFile: log, dieWith: .terminate, environment: environment)
        children.withLockedValue { $0.append(pid) }
        return pid
    }

    private func startPostgres() throws {
        let binaries = try PostgresBinaries.locate()
        guard let entry = getpwnam("postgres") else { throw TestFailure("no postgres system user (Debian's postgresql package)") }
        let account = (uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
        let data = folder.appendingPathComponent("pg")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        chown(data.path, account.uid, account.gid)
        let setpriv = Subprocess.which("setpriv", extraDirectories: ["/usr/bin", "/bin"])!
        let asPostgres = [setpriv, "--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", "--"]
        let initdb = try Subprocess.run(
            asPostgres[0], Array(asPostgres.dropFirst()) + [binaries.initdb, "-D", data.path, "-U", "garrison", "--auth=trust", "-E", "UTF8"])
        guard initdb.status == 0 else { throw TestFailure("initdb: \(initdb.output)") }
        let hba = data.appendingPathComponent("pg_hba.conf")
        let rules = try String(contentsOf: hba, encoding: .utf8) + "\nhost all all \(subnet).0/24 trust\n"
        try rules.write(to: hba, atomically: false, encoding: .utf8)
        _ = try spawn(
            in: namespaces[0],
            asPostgres + [
                setpriv, "--pdeathsig=INT", "--", binaries.postgres, "-D", data.path, "-c", "listen_addresses=\(subnet).1", "-p", "5432",
                "-k", data.path, "-c", "max_connections=400", "-c", "fsync=off", "-c", "synchronous_commit=off",
            ], log: folder.appendingPathComponent("postgres.log"))
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let admin = try? PGConnection(conninfo: "host=\(subnet).1 port=5432 user=garrison dbname=postgres connect_timeout=2") {
                try admin.query("CREATE DATABASE garrison")
                return
            }
            usleep(50_000)
        }
        throw TestFailure("PostgreSQL did not start: \((try? String(contentsOf: folder.appendingPathComponent("postgres.log"), encoding: .utf8)) ?? "")")
    }

    struct Host: Sendable {
        let index: Int
        let pid: pid_t
        let exit: ChildExit
        let http: HTTP
    }

    /// `garrison serve` in host namespace `index`, its nats-server node on a fixed cluster
    /// port of its own address, found by the others through the database.
    func startHost(_ index: Int, extra: [String: String] = [:]) throws -> Host {
        let home = hostFolder(index)
        let plugins = home.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        chmod(plugins.path, 0o755)
        let actions = plugins.appendingPathComponent("45-agent-actions.toml")
        if let folder = agentActions.withLockedValue({ $0 }), !FileManager.default.fileExists(atPath: actions.path) {
            try FileManager.default.copyItem(at: folder.url.appendingPathComponent("45-agent-actions.toml"), to: actions)
            chmod(actions.path, 0o644)
        }
        let config = home.appendingPathComponent("garrison.toml")
        if !FileManager.default.fileExists(atPath: config.path) { try "".write(to: config, atomically: true, encoding: .utf8) }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_CONFIG"] = config.path
        environment["GARRISON_DATA_DIR"] = home.appendingPathComponent("data").path
        environment["GARRISON_PLUGINS_DIR"] = plugins.path
        environment["GARRISON_SERVER_HOST"] = "0.0.0.0"
        environment["GARRISON_SERVER_PORT"] = String(hostPort)
        environment["GARRISON_SERVER_PLAIN_HTTP"] = "true"
        environment["GARRISON_DATABASE_URL"] = databaseURL
        environment["GARRISON_NATS_CLUSTER_ADDRESS"] = hostAddress(index)
        environment["GARRISON_NATS_CLUSTER_PORT"] = "6222"
        for (key, value) in extra { environment[key] = value }
        let pid = try spawn(
            in: hostNamespace(index), [PackagePaths.garrison.path, "serve"], log: home.appendingPathComponent("serve.log"),
            environment: environment)
        let exit = ChildExit()
        ChildProcess.watch(pid) { exit.exited($0) }
        return Host(index: index, pid: pid, exit: exit, http: HTTP(base: hostURL(index)))
    }

    /// HAProxy in namespace 1 at `balancerURL`, TCP mode over every host's port (REST and the
    /// agents' /natsws alike), each host checked with GET /core/health/ every 300 ms.
    func startBalancer(hosts: Int) async throws {
        guard let haproxy = Subprocess.which("haproxy", extraDirectories: ["/usr/sbin"]) else {
            throw TestFailure("haproxy is not installed (scripts/install-deps.sh)")
        }
        let servers = (0..<hosts).map { "    server h\($0) \(hostAddress($0)):\(hostPort)" }.joined(separator: "\n")
        let config = """
            global
                maxconn 4096
            defaults
                mode tcp
                timeout connect 1s
                timeout client 1h
                timeout server 1h
            frontend garrison
                bind \(databaseAddress):\(haproxyPort)
                default_backend hosts
            backend hosts
                balance leastconn
                option httpchk GET /core/health/ HTTP/1.0
                http-check expect status 200
                default-server check inter 300ms fall 2 rise 1
            \(servers)

            """
        let file = folder.appendingPathComponent("haproxy.cfg")
        try config.write(to: file, atomically: true, encoding: .utf8)
        _ = try spawn(in: namespaces[0], [haproxy, "-db", "-f", file.path], log: folder.appendingPathComponent("haproxy.log"))
        let balancer = HTTP(base: balancerURL)
        try await eventually("HAProxy answering", timeout: .seconds(20)) {
            try await balancer.call("GET", "/core/health/", maxTime: 2).status == 200
        }
    }

    func serveLog(_ index: Int) -> String {
        (try? String(contentsOf: hostFolder(index).appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
    }

    /// Waits for the host's health route to answer 200.
    func awaitHealthy(_ host: Host, timeout: Duration = .seconds(60)) async throws {
        do {
            try await eventually("host \(host.index) healthy", timeout: timeout) {
                try await host.http.call("GET", "/core/health/", maxTime: 2).status == 200
            }
        } catch {
            throw TestFailure("\(error); serve's log:\n\(serveLog(host.index).suffix(4000))")
        }
    }

    /// The first-run admin's password, written by whichever host made the admin.
    func adminPassword() throws -> String {
        for index in 0..<(namespaces.count - 1) {
            let file = hostFolder(index).appendingPathComponent("data/initial-admin-password")
            if let text = try? String(contentsOf: file, encoding: .utf8) { return text.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        throw TestFailure("no host wrote initial-admin-password")
    }

    /// Kills every process in the namespaces, then removes them, the bridge and the folder.
    func tearDown() {
        for pid in children.withLockedValue({ $0 }) { kill(pid, SIGKILL) }
        for namespace in namespaces { Self.killAll(in: namespace, ip: ip) }
        for namespace in namespaces { _ = try? Subprocess.run(ip, ["netns", "del", namespace]) }
        _ = try? Subprocess.run(ip, ["link", "del", bridge])
        try? FileManager.default.removeItem(at: folder)
        agentActions.withLockedValue { $0 }?.cleanUp()
    }
}
