import Foundation
import Testing
@testable import GarrisonHost

/// docs/compatibility.md §3.1, rule 9: the login throttle slows guessing but is no lock-out weapon.
@Suite struct LoginThrottleTests {
    static let limits = LoginThrottle.Limits(perUser: 5, perAddress: 20, window: .seconds(60), maxDelay: .seconds(900))

    @Test func failuresFromOneAddress_doNotLockTheUserOutElsewhere() {
        let throttle = LoginThrottle(limits: Self.limits)
        for _ in 0..<5 { throttle.recordFailure(username: "admin", address: "198.51.100.7") }
        #expect(throttle.retryAfter(username: "admin", address: "198.51.100.7") != nil)
        // The real admin, from an address that has not failed, still gets in.
        #expect(throttle.retryAfter(username: "Admin", address: "203.0.113.1") == nil)
        // The attacking address may still try other users until its own address limit.
        #expect(throttle.retryAfter(username: "bob", address: "198.51.100.7") == nil)
    }

    @Test func waitsGrowWithEveryFailurePastTheLimit() throws {
        let throttle = LoginThrottle(limits: Self.limits)
        for _ in 0..<5 { throttle.recordFailure(username: "admin", address: "198.51.100.7") }
        let first = try #require(throttle.retryAfter(username: "admin", address: "198.51.100.7"))
        #expect((55...60).contains(first))
        throttle.recordFailure(username: "admin", address: "198.51.100.7")
        let second = try #require(throttle.retryAfter(username: "admin", address: "198.51.100.7"))
        #expect((115...120).contains(second))
        for _ in 0..<10 { throttle.recordFailure(username: "admin", address: "198.51.100.7") }
        #expect(throttle.retryAfter(username: "admin", address: "198.51.100.7") == 900, "capped at maxDelay")
    }

    @Test func anAddressSprayingManyUsers_waits() {
        let throttle = LoginThrottle(limits: Self.limits)
        for i in 0..<20 { throttle.recordFailure(username: "user\(i)", address: "198.51.100.9") }
        #expect(throttle.retryAfter(username: "someone-else", address: "198.51.100.9") != nil)
        #expect(throttle.retryAfter(username: "someone-else", address: "198.51.100.10") == nil)
    }

    @Test func manyAddressesGuessingOneUser_slowEveryAddressThatTookPart() {
        let throttle = LoginThrottle(limits: Self.limits)
        for i in 0..<5 { throttle.recordFailure(username: "admin", address: "198.51.100.\(i)") }
        // Each address failed once only, yet together they passed the per-user limit.
        #expect(throttle.retryAfter(username: "admin", address: "198.51.100.1") != nil)
        // An address that never failed for admin is not held back.
        #expect(throttle.retryAfter(username: "admin", address: "203.0.113.1") == nil)
    }

    @Test func aGoodSignIn_clearsOnlyThatAddressForThatUser() {
        let throttle = LoginThrottle(limits: Self.limits)
        for _ in 0..<4 { throttle.recordFailure(username: "admin", address: "203.0.113.1") }
        throttle.recordSuccess(username: "admin", address: "203.0.113.1")
        for _ in 0..<4 { throttle.recordFailure(username: "admin", address: "203.0.113.1") }
        #expect(throttle.retryAfter(username: "admin", address: "203.0.113.1") == nil, "4 since the good sign-in, below the limit of 5")
    }

    @Test func aThrottledAttempt_isAudited() async throws {
        try await TestHost.with { host in
            for _ in 0..<5 {
                #expect(
                    try await host.request(.post, "/v2/login/", json: ["username": "admin", "password": "wrong-password"]).status == 400)
            }
            let throttled = try await host.request(
                .post, "/v2/login/", json: ["username": "admin", "password": .string(host.adminPassword)])
            #expect(throttled.status == 429)
            let rows = try await host.server.storage.pool.query(
                "SELECT message FROM audit_log WHERE action = 'failed_login' AND message LIKE 'Throttled%'"
            ).rows
            #expect(rows.count == 1)
        }
    }
}
