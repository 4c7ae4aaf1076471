import Foundation

/// What the bridge needs from the global settings (`/core/settings/`, Tactical RMM's names).
public struct MeshSite: Sendable {
    public let key: MeshKey
    /// "https://mesh.example.com", without a trailing slash.
    public let site: String
    /// The API superuser MeshCentral knows (lower-cased when used).
    public let username: String
    public let deviceGroup: String
    public let companyName: String?
    public let syncWithTRMM: Bool

    public enum Missing: Error, CustomStringConvertible {
        case notConfigured([String])
        case invalid(String, String)
        public var description: String {
            switch self {
            case .notConfigured(let keys):
                "MeshCentral is not set up: fill in \(keys.joined(separator: ", ")) in the global settings (/core/settings/)."
            case .invalid(let key, let why): "Setting '\(key)' \(why)."
            }
        }
    }

    /// From the global settings' values (Tactical RMM's keys); throws naming what is missing
    /// or wrong. `text` answers a string setting ("" or nil when unset).
    public init(text: (String) -> String?, syncWithTRMM: Bool) throws {
        func value(_ key: String) -> String { text(key) ?? "" }
        let missing = ["mesh_site", "mesh_username", "mesh_token"].filter { value($0).isEmpty }
        guard missing.isEmpty else { throw Missing.notConfigured(missing) }
        do { key = try MeshKey(hex: value("mesh_token")) } catch { throw Missing.invalid("mesh_token", "\(error)") }
        var site = value("mesh_site")
        while site.hasSuffix("/") { site.removeLast() }
        guard let url = URL(string: site), url.scheme?.lowercased() == "https", url.host != nil else {
            throw Missing.invalid("mesh_site", "must be an https:// address")
        }
        self.site = site
        username = value("mesh_username")
        let group = value("mesh_device_group")
        deviceGroup = group.isEmpty ? "TacticalRMM" : group
        let company = value("mesh_company_name")
        companyName = company.isEmpty ? nil : company
        self.syncWithTRMM = syncWithTRMM
    }

    /// The MeshCentral user an operator's links open as: with sync on, the operator's own
    /// identity ("user//<username without spaces, lower case>___<id>"); otherwise the API user.
    public func loginUser(username: String, userID: Int) -> String {
        syncWithTRMM ? "user//\(Self.meshUsername(username, userID))" : "user//\(self.username.lowercased())"
    }

    /// An operator's MeshCentral user name ("john___4").
    public static func meshUsername(_ username: String, _ userID: Int) -> String {
        "\(username.replacingOccurrences(of: " ", with: "").lowercased())___\(userID)"
    }

    /// Take control (11), terminal (12) and files (13) links for a node (the agent's hex id).
    public func links(token: String, nodeHex: String) -> (control: String, terminal: String, file: String) {
        func link(_ mode: Int) -> String { "\(site)/?login=\(token)&gotonode=\(nodeHex)&viewmode=\(mode)&hide=31" }
        return (link(11), link(12), link(13))
    }

    /// The control socket's URL: `controlURL` when set (ws:// or wss://, e.g. MeshCentral on
    /// this machine behind the TLS proxy), otherwise mesh_site with https replaced by wss.
    public func controlSocketURL(controlURL: String, cookie: String) -> String {
        var base = controlURL.isEmpty ? "wss" + site.dropFirst("https".count) : controlURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/control.ashx") { base.removeLast("/control.ashx".count) }
        return "\(base)/control.ashx?auth=\(cookie)"
    }
}
