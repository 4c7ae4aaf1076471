import Foundation
@testable import GarrisonHost

/// Runs Python (nats-py, msgpack: installed by scripts/install-deps.sh) as an independent
/// implementation to check Garrison's bytes and permissions against.
enum Python {
    static func run(_ arguments: [String]) throws -> ProcessOutput {
        guard let python = Subprocess.which("python3") else { throw TestFailure("python3 not found") }
        return try Subprocess.run(python, arguments)
    }

    static func code(_ source: String, _ arguments: [String] = []) throws -> ProcessOutput {
        try run(["-c", source] + arguments)
    }

    static var fakeAgent: String { PackagePaths.root.appendingPathComponent("Tests/Fixtures/Bus/fake_agent.py").path }

    /// fake_agent.py as `user`; returns its output lines.
    static func agent(_ url: String, user: String, password: String, _ steps: [String]) throws -> (status: Int32, lines: [String]) {
        let result = try run([fakeAgent, url, user, password] + steps)
        return (result.status, result.output.split(separator: "\n").map(String.init))
    }
}

/// Polls `condition` until it holds or `timeout` passes (nats-server's checkFor): for state
/// that another process changes, where there is no event to await.
func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(25))
    }
    throw TestFailure("timed out waiting for \(what)")
}

/// Runs a blocking call (a curl against this process's own server) on a thread of its own:
/// Swift's cooperative pool has one thread per core, and two tests blocking both while the
/// server they wait for needs one would deadlock.
func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
