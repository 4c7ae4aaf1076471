import CLibPQ

/// A query's rows, copied out of libpq at once so the C result can be freed.
public struct PGResult: Sendable {
    public let columns: [String]
    /// Each column's type OID (PQftype), so callers can render numbers, booleans and JSON as such.
    public let columnTypes: [UInt32]
    public let rows: [PGRow]
    public let affectedRows: Int

    init(_ result: OpaquePointer) {
        defer { PQclear(result) }
        let columnCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var names: [String] = []
        names.reserveCapacity(columnCount)
        var types: [UInt32] = []
        types.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            names.append(String(cString: PQfname(result, Int32(column))))
            types.append(UInt32(PQftype(result, Int32(column))))
        }
        var index: [String: Int] = [:]
        for (offset, name) in names.enumerated() where index[name] == nil { index[name] = offset }
        var rows: [PGRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PGRow(index: index, values: values))
        }
        self.columns = names
        self.columnTypes = types
        self.rows = rows
        self.affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public var first: PGRow? { rows.first }
}

/// One row; values are PostgreSQL's text format.
public struct PGRow: Sendable {
    let index: [String: Int]
    public let values: [String?]

    public subscript(_ column: String) -> String? {
        guard let position = index[column] else { return nil }
        return values[position]
    }

    public func string(_ column: String) -> String { self[column] ?? "" }
    public func optionalString(_ column: String) -> String? { self[column] }
    public func int(_ column: String) -> Int { self[column].flatMap { Int($0) } ?? 0 }
    public func optionalInt(_ column: String) -> Int? { self[column].flatMap { Int($0) } }
    public func double(_ column: String) -> Double { self[column].flatMap { Double($0) } ?? 0 }
    public func bool(_ column: String) -> Bool { self[column] == "t" }
}
