import CGarrisonPlugin

/// The ABI this host speaks and the facts the loader checks against. One place, so the
/// messages, the listing and the function table agree.
enum PluginABI {
    static let major = UInt16(GARRISON_ABI_MAJOR)
    static let minor = UInt16(GARRISON_ABI_MINOR)
    static let magic = UInt32(GARRISON_PLUGIN_MAGIC)
    static let entrySymbol = GARRISON_PLUGIN_ENTRY_NAME

    /// The descriptor has not grown since ABI 1.0, so today's size is the 1.0 size. If it
    /// ever grows, this stays the 1.0 value (96 bytes on LP64): older plugins must still load.
    static let descriptorSize10 = MemoryLayout<garrison_plugin_descriptor>.size

    static var version: String { "\(major).\(minor)" }

    /// The toolchain that built this host, for Swift plugins' build_info ("swift-6.3.1").
    /// Swift on Linux has no stable ABI between toolchains, so a Swift plugin must match it.
    static let swiftToolchain: String = {
        #if compiler(>=6.4)
            return "swift-6.4"
        #elseif compiler(>=6.3.3)
            return "swift-6.3.3"
        #elseif compiler(>=6.3.2)
            return "swift-6.3.2"
        #elseif compiler(>=6.3.1)
            return "swift-6.3.1"
        #else
            return "swift-6.3"
        #endif
    }()

    /// The name of a status code, for log lines and messages ("GARRISON_ERR_CONFLICT").
    static func statusName(_ code: Int32) -> String {
        switch code {
        case GARRISON_OK: return "GARRISON_OK"
        case GARRISON_PENDING: return "GARRISON_PENDING"
        case GARRISON_ERR_INVALID: return "GARRISON_ERR_INVALID"
        case GARRISON_ERR_PHASE: return "GARRISON_ERR_PHASE"
        case GARRISON_ERR_CONFLICT: return "GARRISON_ERR_CONFLICT"
        case GARRISON_ERR_NOT_FOUND: return "GARRISON_ERR_NOT_FOUND"
        case GARRISON_ERR_TIMEOUT: return "GARRISON_ERR_TIMEOUT"
        case GARRISON_ERR_CANCELLED: return "GARRISON_ERR_CANCELLED"
        case GARRISON_ERR_UNAVAILABLE: return "GARRISON_ERR_UNAVAILABLE"
        case GARRISON_ERR_DENIED: return "GARRISON_ERR_DENIED"
        case GARRISON_ERR_INTERNAL: return "GARRISON_ERR_INTERNAL"
        case GARRISON_ERR_UNSUPPORTED: return "GARRISON_ERR_UNSUPPORTED"
        default: return "status \(code)"
        }
    }
}
