import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// garrison_bytes in both directions. Bytes the host hands us are borrowed
// only for the callback, so they are always copied into String or Data;
// bytes we hand the host are borrowed only for the call, so a
// with-closure scope is exactly long enough.

extension garrison_bytes {
    /// A copy, as UTF-8 text (invalid sequences become U+FFFD).
    var string: String {
        guard let ptr, len > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: ptr, count: len), as: UTF8.self)
    }

    /// A copy of the raw bytes.
    var data: Data {
        guard let ptr, len > 0 else { return Data() }
        return Data(bytes: ptr, count: len)
    }
}

/// Something that can be lent to the host as garrison_bytes for one call.
protocol LendableBytes {
    func withGarrisonBytes<R>(_ body: (garrison_bytes) throws -> R) rethrows -> R
}

extension String: LendableBytes {
    func withGarrisonBytes<R>(_ body: (garrison_bytes) throws -> R) rethrows -> R {
        var copy = self  // withUTF8 is mutating: it may make the storage contiguous
        return try copy.withUTF8 { buf in
            try body(garrison_bytes(ptr: buf.baseAddress, len: buf.count))
        }
    }
}

extension Data: LendableBytes {
    func withGarrisonBytes<R>(_ body: (garrison_bytes) throws -> R) rethrows -> R {
        try withUnsafeBytes { raw in
            try body(
                garrison_bytes(
                    ptr: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), len: raw.count))
        }
    }
}

func withBytes<R>(
    _ a: some LendableBytes, _ b: some LendableBytes,
    _ body: (garrison_bytes, garrison_bytes) throws -> R
) rethrows -> R {
    try a.withGarrisonBytes { a in try b.withGarrisonBytes { b in try body(a, b) } }
}

func withBytes<R>(
    _ a: some LendableBytes, _ b: some LendableBytes, _ c: some LendableBytes,
    _ body: (garrison_bytes, garrison_bytes, garrison_bytes) throws -> R
) rethrows -> R {
    try withBytes(a, b) { a, b in try c.withGarrisonBytes { c in try body(a, b, c) } }
}

func withBytes<R>(
    _ a: some LendableBytes, _ b: some LendableBytes, _ c: some LendableBytes,
    _ d: some LendableBytes,
    _ body: (garrison_bytes, garrison_bytes, garrison_bytes, garrison_bytes) throws -> R
) rethrows -> R {
    try withBytes(a, b, c) { a, b, c in try d.withGarrisonBytes { d in try body(a, b, c, d) } }
}
