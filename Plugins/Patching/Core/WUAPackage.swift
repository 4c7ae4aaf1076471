import JSONText

/// A refusal of input, with the text a 400 {"detail"} carries: it names the field and says
/// what to send instead.
public struct PatchInputError: Error, Equatable, Sendable, CustomStringConvertible {
    public let detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { detail }
}

/// One item of the agent's `wua_updates` (docs/agent-protocol.md, Windows updates): the
/// WUAPackage of agent 2.9.1, every member typed as the agent sends it.
public struct WUAPackage: Sendable, Equatable, Encodable {
    public var guid: String
    public var title: String
    public var description: String
    public var categories: [String]
    public var category_ids: [String]
    public var kb_article_ids: [String]
    public var more_info_urls: [String]
    public var support_url: String
    public var revision_number: Int?
    public var severity: String
    public var installed: Bool
    public var downloaded: Bool

    /// "KB" + the first KB article id: the row's `kb`; nil when the update names none (such
    /// an update is not stored, as Tactical RMM skips it).
    public var kb: String? { kb_article_ids.first.map { "KB" + $0 } }

    public init(
        guid: String, title: String = "", description: String = "", categories: [String] = [], category_ids: [String] = [],
        kb_article_ids: [String] = [], more_info_urls: [String] = [], support_url: String = "", revision_number: Int? = nil,
        severity: String = "", installed: Bool = false, downloaded: Bool = false
    ) {
        self.guid = guid
        self.title = title
        self.description = description
        self.categories = categories
        self.category_ids = category_ids
        self.kb_article_ids = kb_article_ids
        self.more_info_urls = more_info_urls
        self.support_url = support_url
        self.revision_number = revision_number
        self.severity = severity
        self.installed = installed
        self.downloaded = downloaded
    }
}

/// The limits of one scan upload. A real Windows machine reports a few hundred updates; the
/// limits keep one request from storing an unbounded amount.
public enum WUALimits {
    public static let maxItems = 5_000
    public static let maxText = 65_536
    public static let maxListItems = 256
    public static let maxGUID = 128
}

extension WUAPackage {
    /// `wua_updates` of a `POST /api/v3/winupdates/` body, every item checked before anything
    /// is stored: a refusal names the first bad field (`wua_updates[3].guid`).
    public static func list(from body: JSON) throws(PatchInputError) -> [WUAPackage] {
        guard case .object(let members) = body else { throw PatchInputError("The body must be a JSON object with \"wua_updates\".") }
        guard let value = members["wua_updates"], !value.isNull else {
            throw PatchInputError("wua_updates is required: a list of the agent's Windows updates.")
        }
        guard case .array(let items) = value else { throw PatchInputError("wua_updates must be a list of updates.") }
        guard !items.isEmpty else { throw PatchInputError("Empty payload") }
        guard items.count <= WUALimits.maxItems else {
            throw PatchInputError("wua_updates has \(items.count) items; at most \(WUALimits.maxItems) are accepted in one scan.")
        }
        var packages: [WUAPackage] = []
        packages.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            packages.append(try package(item, field: "wua_updates[\(index)]"))
        }
        return packages
    }

    static func package(_ item: JSON, field: String) throws(PatchInputError) -> WUAPackage {
        guard case .object(let m) = item else { throw PatchInputError("\(field) must be an object.") }
        func text(_ key: String, required: Bool = false, limit: Int = WUALimits.maxText) throws(PatchInputError) -> String {
            switch m[key] {
            case nil, .null?:
                if required { throw PatchInputError("\(field).\(key) is required.") }
                return ""
            case .string(let value)?:
                guard value.utf8.count <= limit else { throw PatchInputError("\(field).\(key) is longer than \(limit) bytes.") }
                guard !value.utf8.contains(0) else { throw PatchInputError("\(field).\(key) must not contain NUL characters.") }
                return value
            default: throw PatchInputError("\(field).\(key) must be a string.")
            }
        }
        func strings(_ key: String) throws(PatchInputError) -> [String] {
            switch m[key] {
            case nil, .null?: return []
            case .array(let values)?:
                guard values.count <= WUALimits.maxListItems else {
                    throw PatchInputError("\(field).\(key) has more than \(WUALimits.maxListItems) items.")
                }
                var out: [String] = []
                for value in values {
                    guard case .string(let s) = value, s.utf8.count <= WUALimits.maxText, !s.utf8.contains(0) else {
                        throw PatchInputError("\(field).\(key) must be a list of strings.")
                    }
                    out.append(s)
                }
                return out
            default: throw PatchInputError("\(field).\(key) must be a list of strings.")
            }
        }
        func flag(_ key: String) throws(PatchInputError) -> Bool {
            switch m[key] {
            case nil, .null?: return false
            case .bool(let value)?: return value
            default: throw PatchInputError("\(field).\(key) must be true or false.")
            }
        }
        let guid = try text("guid", required: true, limit: WUALimits.maxGUID)
        guard !guid.isEmpty else { throw PatchInputError("\(field).guid must not be empty.") }
        var revision: Int?
        switch m["revision_number"] {
        case nil, .null?: revision = nil
        case let value?:
            guard let n = value.intValue, (Int(Int32.min)...Int(Int32.max)).contains(n) else {
                throw PatchInputError("\(field).revision_number must be a whole number from \(Int32.min) to \(Int32.max).")
            }
            revision = n
        }
        return WUAPackage(
            guid: guid, title: try text("title"), description: try text("description"), categories: try strings("categories"),
            category_ids: try strings("category_ids"), kb_article_ids: try strings("kb_article_ids"),
            more_info_urls: try strings("more_info_urls"), support_url: try text("support_url"), revision_number: revision,
            severity: try text("severity", limit: 64), installed: try flag("installed"), downloaded: try flag("downloaded"))
    }
}

/// The small agent bodies: PATCH (one install result), PUT (needs_reboot), superseded.
public enum AgentBodies {
    /// `{"agent_id","guid","success"}`.
    public static func result(_ body: JSON) throws(PatchInputError) -> (guid: String, success: Bool) {
        let guid = try guid(body)
        guard let success = body["success"]?.boolValue else { throw PatchInputError("success is required: true or false.") }
        return (guid, success)
    }

    /// `{"agent_id","needs_reboot"}`.
    public static func needsReboot(_ body: JSON) throws(PatchInputError) -> Bool {
        guard case .object = body else { throw PatchInputError("The body must be a JSON object with \"needs_reboot\".") }
        guard let value = body["needs_reboot"]?.boolValue else { throw PatchInputError("needs_reboot is required: true or false.") }
        return value
    }

    /// `{"agent_id","guid"}`.
    public static func guid(_ body: JSON) throws(PatchInputError) -> String {
        guard case .object = body else { throw PatchInputError("The body must be a JSON object with \"guid\".") }
        guard let value = body["guid"], !value.isNull else { throw PatchInputError("guid is required: the update's WUA UpdateID.") }
        guard let guid = value.stringValue, !guid.isEmpty, guid.utf8.count <= WUALimits.maxGUID, !guid.utf8.contains(0) else {
            throw PatchInputError("guid must be a non-empty string of at most \(WUALimits.maxGUID) bytes.")
        }
        return guid
    }

    /// The `agent_id` a body names, when it names one (a string); a non-string is refused.
    public static func claimedAgent(_ body: JSON) throws(PatchInputError) -> String? {
        switch body["agent_id"] {
        case nil, .null?: return nil
        case .string(let id)?: return id
        default: throw PatchInputError("agent_id must be a string.")
        }
    }
}
