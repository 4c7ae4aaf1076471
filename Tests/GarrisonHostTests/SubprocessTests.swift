import Foundation
import Testing
@testable import GarrisonHost

@Suite struct SubprocessTests {
    /// A long-lived child (PostgreSQL, nats-server) that inherited a pipe some other thread had
    /// just opened kept it open, and that pipe's reader (Foundation's Process) hung forever.
    @Test func children_inheritNoDescriptorBeyondStandardOnes() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        let result = try Subprocess.run("/bin/sh", ["-c", "ls -l /proc/$$/fd"])
        #expect(result.status == 0)
        #expect(!result.output.contains("pipe:["), "\(result.output)")
    }
}
