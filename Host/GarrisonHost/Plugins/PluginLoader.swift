import CGarrisonPlugin
import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
    import Glibc
#endif

/// Everything the host read from a plugin's descriptor before running any of its code
/// except the entry.
struct PluginDescriptor: @unchecked Sendable {
    // @unchecked: the two function pointers are immutable addresses in a library that is never unloaded.
    typealias InitFunction =
        @convention(c) (UnsafePointer<garrison_host_api>?, OpaquePointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
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
/// is ever dlclose()d: unloading Swift images crashes the runtime later (PluginAPI/README.md, "Writing a plugin in Swift").
enum PluginLoader {
    /// The `*.toml` files of `directory` in name order; nil when the folder does not exist.
    static func files(in directory: String) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        return names.filter { $0.hasSuffix(".toml") }.sorted().map { directory.hasSuffix("/") ? directory + $0 : directory + "/" + $0 }
    }

    /// Parses one plugins.d file after checking who may have written it and the folder it
    /// is in. The file is opened without following a symlink, checked through the open
    /// descriptor, and read from that same descriptor: what was checked is what is parsed.
    static func read(_ path: String) throws(PluginLoadError) -> PluginFile {
        let subject = PluginLoadError.Subject(file: path, library: "")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let folderFD = Glibc.open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderFD >= 0 else {
            throw PluginLoadError(.fileRefused, subject, "cannot open the plugins folder \(folder): \(String(cString: strerror(errno)))")
        }
        defer { close(folderFD) }
        try checkOwnership(of: folderFD, folder, what: "plugins folder", subject, folder: true)
        let fd = openat(folderFD, URL(fileURLWithPath: path).lastPathComponent, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(errno, path, what: "plugins.d file", subject) }
        defer { close(fd) }
        try checkOwnership(of: fd, path, what: "plugins.d file", subject)
        guard let text = readAll(fd, limit: 1 << 20) else {
            throw PluginLoadError(.badFile, subject, "cannot read the file (or it is over 1 MiB)")
        }
        do { return try PluginFile.parse(text, path: path) } catch {
            throw PluginLoadError(
                .badFile, PluginLoadError.Subject(file: path + (error.line.map { ":\($0)" } ?? ""), library: ""), error.message)
        }
    }

    /// Checks a file or folder by path, as `read` and `open` do (for check-config).
    static func checkOwnership(_ path: String, what: String, _ subject: PluginLoadError.Subject, folder: Bool = false)
        throws(PluginLoadError)
    {
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (folder ? O_DIRECTORY : O_NOFOLLOW))
        guard fd >= 0 else { throw refusal(errno, path, what: what, subject) }
        defer { close(fd) }
        try checkOwnership(of: fd, path, what: what, subject, folder: folder)
    }

    /// A plugin has every privilege the server has, so only root or the service user may be
    /// able to change what gets loaded: the file, and the folder it is listed in.
    static func checkOwnership(of fd: Int32, _ path: String, what: String, _ subject: PluginLoadError.Subject, folder: Bool = false)
        throws(PluginLoadError)
    {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw PluginLoadError(.fileRefused, subject, "cannot stat the \(what) \(path): \(String(cString: strerror(errno)))")
        }
        let kind = info.st_mode & S_IFMT
        guard kind == (folder ? S_IFDIR : S_IFREG) else {
            throw PluginLoadError(.fileRefused, subject, "the \(what) \(path) is not a \(folder ? "folder" : "regular file")")
        }
        let serviceUser = geteuid()
        if info.st_uid != 0 && info.st_uid != serviceUser {
            throw PluginLoadError(
                .fileRefused, subject,
                "the \(what) \(path) is owned by uid \(info.st_uid); it must be owned by root or the service user (uid \(serviceUser))")
        }
        let groupOrOtherWritable: mode_t = 0o022
        if info.st_mode & groupOrOtherWritable != 0 {
            throw PluginLoadError(
                .fileRefused, subject,
                "the \(what) \(path) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))); run chmod go-w on it"
            )
        }
    }

    /// Why opening without following symlinks failed, in words an operator can act on.
    private static func refusal(_ code: Int32, _ path: String, what: String, _ subject: PluginLoadError.Subject) -> PluginLoadError {
        if code == ELOOP {
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { " (to \($0))" } ?? ""
            return PluginLoadError(
                .fileRefused, subject,
                "the \(what) \(path) is a symbolic link\(target); name the file itself, so what is checked is what is loaded")
        }
        return PluginLoadError(.fileRefused, subject, "cannot open the \(what) \(path): \(String(cString: strerror(code)))")
    }

    private static func readAll(_ fd: Int32, limit: Int) -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > limit { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// dlopen, dlsym and descriptor checks. `taken` answers which loaded plugin already uses
    /// a name or schema name, if any. The library is opened without following a symlink,
    /// checked through that descriptor, and loaded from it (/proc/self/fd/N): a file swapped
    /// in between the check and dlopen is never the one loaded. (So $ORIGIN in the library's
    /// RUNPATH names /proc/self/fd: its own dependencies must be found another way.)
    static func open(_ file: PluginFile, taken: (_ name: String, _ schema: String) -> String?) throws(PluginLoadError) -> PluginDescriptor {
        var subject = PluginLoadError.Subject(file: file.path, library: file.library)
        let fd = Glibc.open(file.library, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(errno, file.library, what: "library", subject) }
        do { try checkOwnership(of: fd, file.library, what: "library", subject) } catch {
            close(fd)
            throw error
        }
        // NOW: unresolved symbols fail here, not mid-request. LOCAL: plugins cannot bind to each
        // other's symbols. NODELETE: the image stays mapped even if someone calls dlclose.
        _ = dlerror()
        let checked = "/proc/self/fd/\(fd)"
        guard let handle = dlopen(checked, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            close(fd)
            throw PluginLoadError(
                .dlopenFailed, subject, "dlopen failed: \(lastDLError().replacingOccurrences(of: checked, with: file.library))")
        }
        // The descriptor stays open as long as the image (for ever): glibc knows the image by
        // the name it was opened with, and a later dlopen of the same name, after the number
        // was reused, would be answered with this image instead of the new file.
        keepOpen(fd)
        guard let symbol = dlsym(handle, PluginABI.entrySymbol) else {
            throw PluginLoadError(
                .missingEntry, subject,
                "no \(PluginABI.entrySymbol) symbol: \(lastDLError().replacingOccurrences(of: checked, with: file.library))")
        }
        let entry = unsafeBitCast(symbol, to: garrison_plugin_entry_fn.self)
        guard let pointer = entry(PluginABI.major, PluginABI.minor) else {
            throw PluginLoadError(
                .refusedHost, subject, "\(PluginABI.entrySymbol) returned NULL: the plugin refuses host ABI \(PluginABI.version)")
        }
        return try validate(UnsafeRawPointer(pointer), &subject, taken: taken)
    }

    /// Reads the descriptor field by field, never past the size it claims.
    static func validate(_ raw: UnsafeRawPointer, _ subject: inout PluginLoadError.Subject, taken: (String, String) -> String?)
        throws(PluginLoadError) -> PluginDescriptor
    {
        let magic = raw.load(as: UInt32.self)
        let size = Int(raw.load(fromByteOffset: 4, as: UInt32.self))
        if size >= 12 {
            subject.pluginABI = "\(raw.load(fromByteOffset: 8, as: UInt16.self)).\(raw.load(fromByteOffset: 10, as: UInt16.self))"
        }
        guard magic == PluginABI.magic else {
            throw PluginLoadError(
                .badMagic, subject,
                "bad descriptor magic 0x\(String(magic, radix: 16, uppercase: true)), expected 0x\(String(PluginABI.magic, radix: 16, uppercase: true)) (\"GRNS\")"
            )
        }
        guard size >= PluginABI.descriptorSize10 else {
            throw PluginLoadError(
                .descriptorTooSmall, subject,
                "descriptor struct_size \(size) is smaller than the ABI 1.0 descriptor (\(PluginABI.descriptorSize10) bytes)")
        }
        let descriptor = raw.assumingMemoryBound(to: garrison_plugin_descriptor.self).pointee
        subject.name = cString(descriptor.name, limit: 64)
        subject.version = cString(descriptor.version, limit: 128)
        guard descriptor.abi_major == PluginABI.major else {
            throw PluginLoadError(
                .majorMismatch, subject, "ABI major \(descriptor.abi_major) does not match the host's major \(PluginABI.major)")
        }
        guard descriptor.min_host_minor <= PluginABI.minor else {
            throw PluginLoadError(
                .hostTooOld, subject, "the plugin needs host ABI 1.\(descriptor.min_host_minor) or newer (min_host_minor)")
        }
        guard let name = subject.name, isValidName(name) else {
            throw PluginLoadError(
                .badName, subject, "the descriptor's name \(subject.name.map { "'\($0)'" } ?? "(NULL)") is not [a-z0-9_-]{1,48}")
        }
        guard let initFunction = descriptor.plugin_init else {
            throw PluginLoadError(.missingInit, subject, "the descriptor's plugin_init is NULL")
        }
        let buildInfo = cString(descriptor.build_info, limit: 256) ?? ""
        if buildInfo.hasPrefix("swift-") {
            let toolchain = String(buildInfo.prefix { $0 != " " })
            guard toolchain == PluginABI.swiftToolchain else {
                throw PluginLoadError(
                    .toolchainMismatch, subject,
                    "a Swift plugin built by \(toolchain) cannot run in a host built by \(PluginABI.swiftToolchain); rebuild it with the host's toolchain"
                )
            }
        }
        let result = PluginDescriptor(
            name: name, version: subject.version ?? "", buildInfo: buildInfo,
            abiMajor: descriptor.abi_major, abiMinor: descriptor.abi_minor, minHostMinor: descriptor.min_host_minor,
            initFunction: initFunction, shutdownFunction: descriptor.plugin_shutdown)
        if let owner = taken(name, result.schema) {
            throw PluginLoadError(
                .duplicateName, subject,
                owner == name
                    ? "a plugin named \(name) is already loaded"
                    : "its database schema \(result.schema) is already used by plugin \(owner)")
        }
        return result
    }

    private static let openLibraries = NIOLockedValueBox<[Int32]>([])

    private static func keepOpen(_ fd: Int32) {
        openLibraries.withLockedValue { $0.append(fd) }
    }

    static func isValidName(_ name: String) -> Bool {
        (1...48).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
    }

    /// A NUL-terminated string from the plugin, read no further than `limit` bytes.
    private static func cString(_ pointer: UnsafePointer<CChar>?, limit: Int) -> String? {
        guard let pointer else { return nil }
        let length = strnlen(pointer, limit)
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    private static func lastDLError() -> String {
        guard let message = dlerror() else { return "unknown error" }
        return String(cString: message)
    }
}
