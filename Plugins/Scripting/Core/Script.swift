import Foundation

/// A library script (docs/compatibility.md §2.6), as the API and the export files carry it.
public struct Script: Sendable, Codable, Equatable {
    public var id: Int?
    public var name: String
    public var description: String
    public var category: String
    public var shell: ScriptShell
    public var code: String
    public var args: [String]
    public var envVars: [String]
    public var defaultTimeout: Int
    public var supportedPlatforms: [Platform]
    public var runAsUser: Bool
    public var syntax: String
    public var favorite: Bool
    public var hidden: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, description, category, shell, code, args, syntax, favorite, hidden
        case envVars = "env_vars", defaultTimeout = "default_timeout", supportedPlatforms = "supported_platforms", runAsUser = "run_as_user"
        /// Tactical RMM's name for the body (docs/compatibility.md §2.6); `code` is Garrison's
        /// earlier one, still read and written so that its clients and export files keep working.
        case scriptBody = "script_body"
    }

    public init(
        id: Int? = nil, name: String, description: String = "", category: String = "", shell: ScriptShell, code: String,
        args: [String] = [], envVars: [String] = [], defaultTimeout: Int = 90, supportedPlatforms: [Platform] = [],
        runAsUser: Bool = false, syntax: String = "", favorite: Bool = false, hidden: Bool = false
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.category = category
        self.shell = shell
        self.code = code
        self.args = args
        self.envVars = envVars
        self.defaultTimeout = defaultTimeout
        self.supportedPlatforms = supportedPlatforms
        self.runAsUser = runAsUser
        self.syntax = syntax
        self.favorite = favorite
        self.hidden = hidden
    }

    /// Missing optional members take their defaults, so a minimal {"name","shell","code"} works.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        category = try c.decodeIfPresent(String.self, forKey: .category) ?? ""
        shell = try c.decode(ScriptShell.self, forKey: .shell)
        if let body = try c.decodeIfPresent(String.self, forKey: .scriptBody) {
            code = body
        } else if let legacy = try c.decodeIfPresent(String.self, forKey: .code) {
            code = legacy
        } else {
            throw DecodingError.keyNotFound(CodingKeys.scriptBody, .init(codingPath: c.codingPath, debugDescription: "script_body is required"))
        }
        args = try c.decodeIfPresent([String].self, forKey: .args) ?? []
        envVars = try c.decodeIfPresent([String].self, forKey: .envVars) ?? []
        defaultTimeout = try c.decodeIfPresent(Int.self, forKey: .defaultTimeout) ?? 90
        supportedPlatforms = try c.decodeIfPresent([Platform].self, forKey: .supportedPlatforms) ?? []
        runAsUser = try c.decodeIfPresent(Bool.self, forKey: .runAsUser) ?? false
        syntax = try c.decodeIfPresent(String.self, forKey: .syntax) ?? ""
        favorite = try c.decodeIfPresent(Bool.self, forKey: .favorite) ?? false
        hidden = try c.decodeIfPresent(Bool.self, forKey: .hidden) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(category, forKey: .category)
        try c.encode(shell, forKey: .shell)
        try c.encode(code, forKey: .scriptBody)
        try c.encode(code, forKey: .code)
        try c.encode(args, forKey: .args)
        try c.encode(envVars, forKey: .envVars)
        try c.encode(defaultTimeout, forKey: .defaultTimeout)
        try c.encode(supportedPlatforms, forKey: .supportedPlatforms)
        try c.encode(runAsUser, forKey: .runAsUser)
        try c.encode(syntax, forKey: .syntax)
        try c.encode(favorite, forKey: .favorite)
        try c.encode(hidden, forKey: .hidden)
    }

    /// What the store refuses: an empty name, a timeout outside 1 s...24 h, env vars that are
    /// not NAME=value.
    public func validate() throws(ScriptingError) {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw ScriptingError("A script needs a name.") }
        if !(1...86_400).contains(defaultTimeout) { throw ScriptingError("default_timeout must be between 1 and 86400 seconds.") }
        for env in envVars where EnvVar.split(env) == nil {
            throw ScriptingError("Environment variable '\(env)' must look like NAME=value.")
        }
    }

    /// Whether an agent of `plat` may run it (no platforms listed: every platform).
    public func supports(_ plat: String) -> Bool {
        supportedPlatforms.isEmpty || supportedPlatforms.contains { $0.rawValue == plat }
    }
}

/// A snippet: code inlined into script bodies wherever `{{name}}` appears.
public struct Snippet: Sendable, Codable, Equatable {
    public var id: Int?
    public var name: String
    public var description: String
    public var shell: ScriptShell
    public var code: String

    public init(id: Int? = nil, name: String, description: String = "", shell: ScriptShell, code: String) {
        self.id = id
        self.name = name
        self.description = description
        self.shell = shell
        self.code = code
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        shell = try c.decode(ScriptShell.self, forKey: .shell)
        code = try c.decode(String.self, forKey: .code)
    }

    /// Snippet names are plain words, so `{{agent.x}}` can never be mistaken for one.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100
            && name.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
            }
    }
}

enum EnvVar {
    static func split(_ entry: String) -> (name: Substring, value: Substring)? {
        guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else { return nil }
        return (entry[..<eq], entry[entry.index(after: eq)...])
    }
}
