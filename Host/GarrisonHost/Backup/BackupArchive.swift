import COpenSSL
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// The backup file: a container of our own, so that reading one never unpacks a path
/// chosen by the file (as a tar could) and a file that is not a backup is recognised by
/// its first bytes. Layout:
///
///     "GARRISON-BACKUP\n"                     16 bytes
///     manifest length                          4 bytes, big-endian, at most 1 MiB
///     manifest                                 JSON (BackupManifest)
///     each entry's bytes, in manifest order    sizes and SHA-256 in the manifest
///
/// Nothing follows the last entry: a file longer or shorter than the manifest says is damaged.
enum BackupArchive {
    static let magic = Array("GARRISON-BACKUP\n".utf8)
    static let databaseEntry = "database.dump"
    static let dataPrefix = "data/"
    static let maxManifest = 1 << 20
    /// Data folder files are small secrets; anything bigger is not one of ours.
    static let maxDataEntry: Int64 = 1 << 20

    /// Writes `manifest` (its entries filled in from `files`) and the files to `url`, which
    /// must not exist: created 0600, filled under a temporary name, renamed into place.
    static func write(to url: URL, manifest: BackupManifest, files: [(name: String, source: URL)]) throws {
        var manifest = manifest
        manifest.entries = try files.map { file in
            let (size, digest) = try hash(file.source)
            return BackupManifest.Entry(name: file.name, size: size, sha256: digest)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(manifest)
        guard json.count <= maxManifest else { throw BackupError("the manifest is over \(maxManifest) bytes") }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(Crypto.randomHex(bytes: 4)).partial")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BackupError("cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            var header = magic
            let length = UInt32(json.count)
            header += [UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            try handle.write(contentsOf: Data(header) + json)
            for file in files {
                let input = try FileHandle(forReadingFrom: file.source)
                defer { try? input.close() }
                while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { try handle.write(contentsOf: chunk) }
            }
            try handle.synchronize()
            try handle.close()
            // Refuse to replace a file that appeared meanwhile: link(2) fails if it exists.
            guard link(temporary.path, url.path) == 0 else {
                throw BackupError("cannot create \(url.path): \(String(cString: strerror(errno)))")
            }
            unlink(temporary.path)
        } catch {
            try? handle.close()
            unlink(temporary.path)
            throw error
        }
    }

    /// Reads and checks the header and manifest; says plainly when the file is not a backup.
    static func readManifest(_ url: URL) throws -> (manifest: BackupManifest, dataOffset: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw BackupError("cannot read \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let head = [UInt8]((try handle.read(upToCount: magic.count + 4)) ?? Data())
        guard head.count == magic.count + 4, Array(head.prefix(magic.count)) == magic else {
            throw BackupError(
                "\(url.path) is not a garrison backup (it does not start with the backup header); give a file made by `garrison backup`")
        }
        let length = head.suffix(4).reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length <= maxManifest else {
            throw BackupError("\(url.path) is damaged: its manifest length \(length) is out of range")
        }
        let json = (try handle.read(upToCount: length)) ?? Data()
        guard json.count == length else { throw BackupError("\(url.path) is damaged: it ends inside its manifest") }
        let manifest: BackupManifest
        do { manifest = try JSONDecoder().decode(BackupManifest.self, from: json) } catch {
            throw BackupError("\(url.path) is damaged: its manifest cannot be read (\(error))")
        }
        let dataOffset = UInt64(magic.count + 4 + length)
        var total: UInt64 = dataOffset
        var seen = Set<String>()
        for entry in manifest.entries {
            guard validName(entry.name), seen.insert(entry.name).inserted else {
                throw BackupError("\(url.path) is damaged: it names an entry \"\(entry.name)\"")
            }
            guard entry.size >= 0, entry.size <= Int64(1) << 50 else {
                throw BackupError("\(url.path) is damaged: entry \(entry.name) has size \(entry.size)")
            }
            if entry.name != databaseEntry, entry.size > maxDataEntry {
                throw BackupError("\(url.path) is damaged: data folder file \(entry.name) is over \(maxDataEntry) bytes")
            }
            total += UInt64(entry.size)
        }
        let size = try handle.seekToEnd()
        guard size == total else {
            throw BackupError("\(url.path) is damaged: it holds \(size) bytes where its manifest says \(total) (a copy cut short?)")
        }
        return (manifest, dataOffset)
    }

    /// Copies the database dump to `dump` and returns the data folder files, checking every
    /// entry's SHA-256 on the way.
    static func extract(_ url: URL, manifest: BackupManifest, dataOffset: UInt64, dump: URL) throws -> [(path: String, bytes: [UInt8])] {
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        try input.seek(toOffset: dataOffset)
        var files: [(String, [UInt8])] = []
        for entry in manifest.entries {
            var digest = SHA256Stream()
            var remaining = entry.size
            var kept: [UInt8] = []
            var output: FileHandle?
            if entry.name == databaseEntry {
                let fd = open(dump.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw BackupError("cannot create \(dump.path): \(String(cString: strerror(errno)))") }
                output = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            }
            while remaining > 0 {
                guard let chunk = try input.read(upToCount: Int(min(remaining, 1 << 20))), !chunk.isEmpty else {
                    throw BackupError("\(url.path) is damaged: it ends inside \(entry.name)")
                }
                digest.update(chunk)
                if let output { try output.write(contentsOf: chunk) } else { kept += chunk }
                remaining -= Int64(chunk.count)
            }
            try output?.close()
            guard digest.finish() == entry.sha256 else {
                throw BackupError("\(url.path) is damaged: \(entry.name) does not match its SHA-256 in the manifest")
            }
            if output == nil { files.append((String(entry.name.dropFirst(dataPrefix.count)), kept)) }
        }
        return files
    }

    /// "database.dump", or "data/" and a relative path of plain names (no "..", no empty part).
    static func validName(_ name: String) -> Bool {
        if name == databaseEntry { return true }
        guard name.hasPrefix(dataPrefix), name.count <= 512 else { return false }
        let parts = name.dropFirst(dataPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        return !parts.isEmpty
            && parts.allSatisfy { part in
                !part.isEmpty && part != "." && part != ".."
                    && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
            }
    }

    static func hash(_ url: URL) throws -> (Int64, String) {
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        var digest = SHA256Stream()
        var size: Int64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            digest.update(chunk)
            size += Int64(chunk.count)
        }
        return (size, digest.finish())
    }
}

/// SHA-256 over data that arrives in pieces (OpenSSL's EVP digest).
struct SHA256Stream: ~Copyable {
    private let context: OpaquePointer

    init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    mutating func update(_ data: Data) {
        data.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
    }

    consuming func finish() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        digest.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        return Crypto.hex(Array(digest.prefix(Int(length))))
    }

    deinit { EVP_MD_CTX_free(context) }
}
