import CGarrisonPlugin
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything the host read from a plugin's descriptor before running any of its code
/// except the entry.
struct PluginDescriptor: @unchecked Sendable {
    // @unchecked: the two function pointers are immutable addresses in a library that is never unloaded.
    typealias InitFunction = @convention(c) (UnsafePointer<garrison_host_api>?, OpaquePointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
    typealias ShutdownFunction = @convention(c) (UnsafeMutableRawPointer?) -> Void

    let name: String
    let version: String
    let buildInfo: String
    let abiMajor: UInt16
    let abiMinor: UInt16
    let minHostMinor: UInt16
    let initFunction: InitFunction
    let shutdownFunction: ShutdownFunction?

    var abi: String { "\(abiMajor).\(abiMinor)" }

    /// The plugin's PostgreSQL schema and role. Names may contain '-', identifiers had better not.
    var schema: String { "plugin_" + name.replacingOccurrences(of: "-", with: "_") }
}

/// Step 1 of the lifecycle in the header: read plugins.d, check ownership, dlopen, find the
/// entry and validate the descriptor. No plugin code but the entry runs here, and nothing
/// is ever dlclose()d: unloading Swift images crashes the runtime later (research B.2.6).
enum PluginLoader {
    /// The `*.toml` files of `directory` in name order; nil when the folder does not exist.
    static func files(in directory: String) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        return names.filter { $0.hasSuffix(".toml") }.sorted().map { directory.hasSuffix("/") ? directory + $0 : directory + "/" + $0 }
    }

    /// Parses one plugins.d file after checking who may have written it.
    static func read(_ path: String) throws(PluginLoadError) -> PluginFile {
        let subject = PluginLoadError.Subject(file: path, library: "")
        try checkOwnership(path, what: "plugins.d file", subject)
        do { return try PluginFile.load(path: path) } catch {
            throw PluginLoadError(.badFile, PluginLoadError.Subject(file: path + (error.line.map { ":\($0)" } ?? ""), library: ""), error.message)
        }
    }

    /// A plugin has every privilege the server has, so only root or the service user may be
    /// able to change what gets loaded.
    static func checkOwnership(_ path: String, what: String, _ subject: PluginLoadError.Subject) throws(PluginLoadError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw PluginLoadError(.fileRefused, subject, "cannot stat the \(what) \(path): \(String(cString: strerror(errno)))")
        }
        let serviceUser = geteuid()
        if info.st_uid != 0 && info.st_uid != serviceUser {
            throw PluginLoadError(.fileRefused, subject, "the \(what) \(path) is owned by uid \(info.st_uid); it must be owned by root or the service user (uid \(serviceUser))")
        }
        let groupOrOtherWritable: mode_t = 0o022
        if info.st_mode & groupOrOtherWritable != 0 {
            throw PluginLoadError(.fileRefused, subject, "the \(what) \(path) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); run chmod go-w on it")
        }
    }

    /// dlopen, dlsym and descriptor checks. `taken` answers which loaded plugin already uses
    /// a name or schema name, if any.
    static func open(_ file: PluginFile, taken: (_ name: String, _ schema: String) -> String?) throws(PluginLoadError) -> PluginDescriptor {
        var subject = PluginLoadError.Subject(file: file.path, library: file.library)
        try checkOwnership(file.library, what: "library", subject)
        // NOW: unresolved symbols fail here, not mid-request. LOCAL: plugins cannot bind to each
        // other's symbols. NODELETE: the image stays mapped even if someone calls dlclose.
        _ = dlerror()
        guard let handle = dlopen(file.library, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw PluginLoadError(.dlopenFailed, subject, "dlopen failed: \(lastDLError())")
        }
        guard let symbol = dlsym(handle, PluginABI.entrySymbol) else {
            throw PluginLoadError(.missingEntry, subject, "no \(PluginABI.entrySymbol) symbol: \(lastDLError())")
        }
        let entry = unsafeBitCast(symbol, to: garrison_plugin_entry_fn.self)
        guard let pointer = entry(PluginABI.major, PluginABI.minor) else {
            throw PluginLoadError(.refusedHost, subject, "\(PluginABI.entrySymbol) returned NULL: the plugin refuses host ABI \(PluginABI.version)")
        }
        return try validate(UnsafeRawPointer(pointer), &subject, taken: taken)
    }

    /// Reads the descriptor field by field, never past the size it claims.
    static func validate(_ raw: UnsafeRawPointer, _ subject: inout PluginLoadError.Subject, taken: (String, String) -> String?) throws(PluginLoadError) -> PluginDescriptor {
        let magic = raw.load(as: UInt32.self)
        let size = Int(raw.load(fromByteOffset: 4, as: UInt32.self))
        if size >= 12 {
            subject.pluginABI = "\(raw.load(fromByteOffset: 8, as: UInt16.self)).\(raw.load(fromByteOffset: 10, as: UInt16.self))"
        }
        guard magic == PluginABI.magic else {
            throw PluginLoadError(.badMagic, subject, "bad descriptor magic 0x\(String(magic, radix: 16, uppercase: true)), expected 0x\(String(PluginABI.magic, radix: 16, uppercase: true)) (\"GRNS\")")
        }
        guard size >= PluginABI.descriptorSize10 else {
            throw PluginLoadError(.descriptorTooSmall, subject, "descriptor struct_size \(size) is smaller than the ABI 1.0 descriptor (\(PluginABI.descriptorSize10) bytes)")
        }
        let descriptor = raw.assumingMemoryBound(to: garrison_plugin_descriptor.self).pointee
        subject.name = cString(descriptor.name, limit: 64)
        subject.version = cString(descriptor.version, limit: 128)
        guard descriptor.abi_major == PluginABI.major else {
            throw PluginLoadError(.majorMismatch, subject, "ABI major \(descriptor.abi_major) does not match the host's major \(PluginABI.major)")
        }
        guard descriptor.min_host_minor <= PluginABI.minor else {
            throw PluginLoadError(.hostTooOld, subject, "the plugin needs host ABI 1.\(descriptor.min_host_minor) or newer (min_host_minor)")
        }
        guard let name = subject.name, isValidName(name) else {
            throw PluginLoadError(.badName, subject, "the descriptor's name \(subject.name.map { "'\($0)'" } ?? "(NULL)") is not [a-z0-9_-]{1,48}")
        }
        guard let initFunction = descriptor.plugin_init else {
            throw PluginLoadError(.missingInit, subject, "the descriptor's plugin_init is NULL")
        }
        let buildInfo = cString(descriptor.build_info, limit: 256) ?? ""
        if buildInfo.hasPrefix("swift-") {
            let toolchain = String(buildInfo.prefix { $0 != " " })
            guard toolchain == PluginABI.swiftToolchain else {
                throw PluginLoadError(.toolchainMismatch, subject, "a Swift plugin built by \(toolchain) cannot run in a host built by \(PluginABI.swiftToolchain); rebuild it with the host's toolchain")
            }
        }
        let result = PluginDescriptor(
            name: name, version: subject.version ?? "", buildInfo: buildInfo,
            abiMajor: descriptor.abi_major, abiMinor: descriptor.abi_minor, minHostMinor: descriptor.min_host_minor,
            initFunction: initFunction, shutdownFunction: descriptor.plugin_shutdown)
        if let owner = taken(name, result.schema) {
            throw PluginLoadError(.duplicateName, subject, owner == name
                ? "a plugin named \(name) is already loaded"
                : "its database schema \(result.schema) is already used by plugin \(owner)")
        }
        return result
    }

    static func isValidName(_ name: String) -> Bool {
        (1...48).contains(name.utf8.count) && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
    }

    /// A NUL-terminated string from the plugin, read no further than `limit` bytes.
    private static func cString(_ pointer: UnsafePointer<CChar>?, limit: Int) -> String? {
        guard let pointer else { return nil }
        let length = strnlen(pointer, limit)
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
    }

    private static func lastDLError() -> String {
        guard let message = dlerror() else { return "unknown error" }
        return String(cString: message)
    }
}
