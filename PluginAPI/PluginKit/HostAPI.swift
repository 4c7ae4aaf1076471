import CGarrisonPlugin

/// The host's function table, read member by member.
///
/// A host of an older minor hands over a shorter table, so members are never
/// read through a whole-struct copy: each one is loaded at its own offset,
/// and members newer than 1.0 only after the struct_size check that
/// GARRISON_HAS does in C.
struct HostAPI: @unchecked Sendable {
    // The table is immutable and lives for the whole process (header: "valid
    // for the life of the process"), hence @unchecked Sendable.
    let table: UnsafePointer<garrison_host_api>

    var structSize: Int { Int(UnsafeRawPointer(table).load(as: UInt32.self)) }
    var abiMinor: UInt16 {
        UnsafeRawPointer(table).load(
            fromByteOffset: MemoryLayout<garrison_host_api>.offset(of: \.abi_minor)!,
            as: UInt16.self)
    }

    /// The member if the host's table has it and it is set (GARRISON_HAS).
    func optional<F>(_ member: KeyPath<garrison_host_api, F?>) -> F? {
        guard let offset = MemoryLayout<garrison_host_api>.offset(of: member),
            structSize >= offset + MemoryLayout<F?>.size
        else { return nil }
        return UnsafeRawPointer(table).load(fromByteOffset: offset, as: F?.self)
    }

    /// A 1.0 member, which every host of this major has and sets.
    func required<F>(_ member: KeyPath<garrison_host_api, F?>) -> F {
        guard let fn = optional(member) else {
            fatalError("garrison host table lacks a 1.0 member (\(member))")
        }
        return fn
    }
}
