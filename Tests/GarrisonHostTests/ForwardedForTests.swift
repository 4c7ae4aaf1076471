import Foundation
import Testing
@testable import GarrisonHost

/// `server.trust_forwarded_for` with `server.trusted_proxies`: the client is the rightmost
/// X-Forwarded-For entry that is not a trusted proxy, and the header counts only when the
/// direct peer is a trusted proxy. Before, the leftmost entry (chosen by the client) won.
@Suite struct ForwardedForTests {
    @Test func theRightmostUntrustedHopIsTheClient() throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.1, 10.0.0.0/8, fd00::/8")
        // The client forged "6.6.6.6"; our proxy appended the address it really saw.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["6.6.6.6, 203.0.113.7"]) == "203.0.113.7")
        // Two trusted proxies in a row are skipped; header lines are read in order.
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: ["6.6.6.6", "203.0.113.7, 10.9.9.9"]) == "203.0.113.7")
        #expect(proxies.clientAddress(peer: "fd00::1", forwardedFor: ["2001:db8::5, fd12::1"]) == "2001:db8::5")
        // A peer that is not a trusted proxy is the client, whatever it claims.
        #expect(proxies.clientAddress(peer: "198.51.100.2", forwardedFor: ["127.0.0.1"]) == "198.51.100.2")
        // Garbage to the right of the trusted hops was not written by them: stop before it.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["203.0.113.7, not-an-ip"]) == "127.0.0.1")
        // Only trusted hops: the leftmost of them is as far as we can see.
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: ["10.0.0.5, 10.0.0.6"]) == "10.0.0.5")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1")
        // IPv4-mapped IPv6 peers match IPv4 entries.
        #expect(proxies.contains("::ffff:10.2.3.4"))
        #expect(!proxies.contains("11.0.0.1"))
        #expect(TrustedProxies.none.clientAddress(peer: "127.0.0.1", forwardedFor: ["6.6.6.6"]) == "127.0.0.1")
    }

    @Test func cidrPrefixesAreExact() throws {
        let proxies = try TrustedProxies(parsing: "192.168.4.0/22, 0.0.0.0/0")
        #expect(proxies.contains("8.8.8.8"))
        let narrow = try TrustedProxies(parsing: "192.168.4.0/22")
        #expect(narrow.contains("192.168.7.255") && !narrow.contains("192.168.8.0") && !narrow.contains("192.168.3.255"))
    }

    @Test func aBadProxyListIsAConfigError() throws {
        for bad in ["10.0.0.0/33", "example.com", "10.0.0.1/x", "::1/129"] {
            #expect(throws: ProxyListError.self) { try TrustedProxies(parsing: bad) }
        }
        let problem = ConfigSchema.keys.first { $0.name == "trusted_proxies" }!.apply
        var config = GarrisonConfig()
        #expect(problem(&config, .string("10.0.0.0/8, nonsense"))?.contains("'nonsense'") == true)
        #expect(problem(&config, .string("10.0.0.0/8")) == nil && config.trustedProxies == "10.0.0.0/8")
    }

    /// Through the real listener (peer 127.0.0.1, trusted by default): a failed login is
    /// recorded under the address the proxy saw, not the one the client wrote.
    @Test func theListenerUsesTheProxysAddress() async throws {
        try await TestHost.with(configure: { $0.trustForwardedFor = true }) { host in
            try await host.listening { port in
                let curl = try await offCooperativePool {
                    try Subprocess.run(
                        "/usr/bin/curl",
                        [
                            "-sS", "--cacert", host.certificatePath, "-X", "POST", "-H", "Content-Type: application/json",
                            "-H", "X-Forwarded-For: 6.6.6.6, 203.0.113.7",
                            "-d", #"{"username":"admin","password":"wrong"}"#, "https://localhost:\(port)/v2/checkcreds/",
                        ])
                }
                #expect(curl.output.contains("detail"), "\(curl.output)")
                let rows = try await host.server.storage.pool.query(
                    "SELECT ip_address FROM audit_log WHERE ip_address IS NOT NULL AND ip_address <> ''"
                ).rows
                let addresses = rows.map { $0.string("ip_address") }
                #expect(addresses.contains("203.0.113.7") && !addresses.contains("6.6.6.6"), "\(addresses)")
            }
        }
    }
}
