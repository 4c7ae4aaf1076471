/// The descriptor's build_info: "swift-" and the exact toolchain version.
/// The host refuses Swift plugins built by another toolchain, because Swift
/// on Linux has no stable ABI between versions and the plugin runs on the
/// host's copy of the runtime. `#if compiler` is the only compile-time
/// source of the version, so the list is spelled out; a toolchain newer than
/// it gets a warning and a name no host matches, which fails safe at load.
enum BuildInfo {
    #if compiler(>=6.5)
        #warning("PluginKit: add this Swift toolchain to BuildInfo.swift")
        static let text: StaticString = "swift-unknown"
    #elseif compiler(>=6.4.4)
        #warning("PluginKit: add this Swift toolchain to BuildInfo.swift")
        static let text: StaticString = "swift-unknown"
    #elseif compiler(>=6.4.3)
        static let text: StaticString = "swift-6.4.3"
    #elseif compiler(>=6.4.2)
        static let text: StaticString = "swift-6.4.2"
    #elseif compiler(>=6.4.1)
        static let text: StaticString = "swift-6.4.1"
    #elseif compiler(>=6.4)
        static let text: StaticString = "swift-6.4"
    #elseif compiler(>=6.3.4)
        #warning("PluginKit: add this Swift toolchain to BuildInfo.swift")
        static let text: StaticString = "swift-unknown"
    #elseif compiler(>=6.3.3)
        static let text: StaticString = "swift-6.3.3"
    #elseif compiler(>=6.3.2)
        static let text: StaticString = "swift-6.3.2"
    #elseif compiler(>=6.3.1)
        static let text: StaticString = "swift-6.3.1"
    #elseif compiler(>=6.3)
        static let text: StaticString = "swift-6.3"
    #else
        #error("PluginKit needs Swift 6.3 or later")
    #endif
}
