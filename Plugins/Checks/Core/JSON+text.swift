import PluginKit

// ChecksCore keeps agent-sent parts of results (event log entries) and template values as
// PluginKit's JSON; it uses no host function.
extension JSON {
    /// The text a template variable turns into: strings as they are, numbers without a
    /// needless ".0", booleans as Python prints them; nil for null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .bool(let b): return b ? "True" : "False"
        default: return nil
        }
    }
}
