import CGarrisonPlugin
import Foundation
import GarrisonTesting
import Testing
@testable import PluginKit

/// A plugin that never runs; only its descriptor is read.
struct DescribedPlugin: GarrisonPlugin {
    static let name: StaticString = "described"
    static let version: StaticString = "2.0.1"
    static let minHostMinor: UInt16 = 1
    init(host: PluginHost) throws {}
    func register(_ registrar: Registrar) throws {}
}

struct OtherPlugin: GarrisonPlugin {
    static let name: StaticString = "other"
    static let version: StaticString = "1"
    init(host: PluginHost) throws {}
    func register(_ registrar: Registrar) throws {}
}

@Suite("Descriptor")
struct DescriptorTests {
    @Test func fillsEveryField() throws {
        let d = UnsafeMutablePointer<garrison_plugin_descriptor>.allocate(capacity: 1)
        defer { d.deallocate() }
        #expect(Descriptor.fill(d, for: DescribedPlugin.self))
        let desc = d.pointee
        #expect(desc.magic == 0x4752_4E53)  // "GRNS"
        #expect(desc.struct_size == 96)  // x86_64/aarch64 sizeof
        #expect(Int(desc.struct_size) == MemoryLayout<garrison_plugin_descriptor>.stride)
        #expect(desc.abi_major == 1)
        #expect(desc.abi_minor == UInt16(GARRISON_ABI_MINOR))
        #expect(desc.min_host_minor == 1)
        #expect(desc.reserved0 == 0)
        #expect(desc.flags == 0)
        #expect(String(cString: desc.name) == "described")
        #expect(String(cString: desc.version) == "2.0.1")
        #expect(String(cString: desc.build_info).hasPrefix("swift-6."))
        #expect(desc.plugin_init != nil)
        #expect(desc.plugin_shutdown != nil)
        #expect(desc.reserved.0 == nil && desc.reserved.1 == nil && desc.reserved.2 == nil && desc.reserved.3 == nil)
    }

    @Test func buildInfoNamesThisToolchain() {
        // The tests are built by the same compiler as PluginKit.
        #if compiler(>=6.3.1) && !compiler(>=6.3.2)
            #expect(String(cString: Descriptor.cString(BuildInfo.text)!) == "swift-6.3.1")
        #endif
        #expect(String(cString: Descriptor.cString(BuildInfo.text)!).hasPrefix("swift-"))
    }

    /// The only test that calls `entry`: it sets the process-wide plugin type.
    @Test func entryPicksOnePluginForTheLibrary() throws {
        #expect(entry(DescribedPlugin.self, 2, 0) == nil)  // another major: refuse
        let first = try #require(entry(DescribedPlugin.self, 1, 1))
        #expect(entry(DescribedPlugin.self, 1, 0) == first)  // stable, and given to older minors
        #expect(entry(OtherPlugin.self, 1, 1) == nil)  // one plugin per library
        let desc = first.assumingMemoryBound(to: garrison_plugin_descriptor.self).pointee
        #expect(String(cString: desc.name) == "described")
    }
}
