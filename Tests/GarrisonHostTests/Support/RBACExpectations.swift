import Foundation
@testable import GarrisonHost

/// The vocabulary of the RBAC matrix (RBACMatrixTests): who calls, on which client's
/// objects, and what answer each caller must get.
enum RBAC {
    /// The five callers of every route. Each acts on client A's objects except `otherScope`,
    /// which is scoped to client A and acts on client B's.
    enum Who: String, CaseIterable, Sendable {
        case anonymous = "no-credentials"
        case noPermission = "without-permission"
        case otherScope = "scoped-A-on-B"
        case ownScope = "scoped-A-on-A"
        case superuser = "superuser"

        var side: Side { self == .otherScope ? .b : .a }
    }

    enum Side: String, Sendable { case a = "A", b = "B" }

    /// What a route is, for the default expectations.
    enum Kind: Sendable {
        /// The path names an object that belongs to a client (agent, site, note, check...):
        /// 401, 403, 404 (outside the scope it does not exist), 2xx, 2xx.
        case scoped
        /// A list without an object in the path: the scoped caller gets 2xx, and none of
        /// client B's names or ids may appear in it.
        case list
        /// No client or site dimension (core settings, roles, the script library): the
        /// scoped caller is treated as any other holder of the permission, unless overridden.
        case global
        /// Open to anyone by design; `reason` says why.
        case anonymous(String)
        /// An agent's own route: the caller is an agent token. Operators are not agents (401),
        /// agent B calling for agent A is refused (403, or 404 where another agent's object
        /// looks missing), agent A gets 2xx.
        case agent
    }

    enum Expect: Sendable, CustomStringConvertible {
        case status(Int)
        case success
        /// 2xx, and none of client B's markers in the body.
        case successHiding
        /// 403 or 404: refused, whichever convention (a target id named in a body or query).
        case refused

        func holds(_ status: Int, _ text: String, markers: [String]) -> Bool {
            switch self {
            case .status(let expected): return status == expected
            case .success: return (200..<300).contains(status)
            case .successHiding: return (200..<300).contains(status) && !markers.contains { text.contains($0) }
            case .refused: return status == 403 || status == 404
            }
        }

        var description: String {
            switch self {
            case .status(let code): return String(code)
            case .success: return "2xx"
            case .successHiding: return "2xx without B"
            case .refused: return "403|404"
            }
        }
    }

    /// One request of the matrix.
    struct Req: Sendable {
        var path: String
        var json: JSON? = nil
        var raw: String? = nil
    }

    /// What a request builder knows about the call it builds.
    struct Ask: Sendable {
        let who: Who
        let side: Side
        /// The operator the call is made as, when it is one.
        let userID: Int?
        let credential: TestHost.Credential
    }

    typealias Build = @Sendable (RBACWorld, Ask) async throws -> Req

    /// One route and method of the schema, with how to call it and what to expect.
    struct Case: Sendable {
        let key: String
        var kind: Kind
        var build: Build
        var overrides: [Who: Expect] = [:]
        /// Why an override differs from the kind's default (printed on a mismatch).
        var reason: String = ""
        /// The route acts on the caller's own account (logout, password, second factor):
        /// each call gets new users, so the matrix's own callers keep their sessions.
        var freshCallers = false

        init(
            _ key: String, _ kind: Kind, overrides: [Who: Expect] = [:], reason: String = "", freshCallers: Bool = false,
            _ build: @escaping Build
        ) {
            self.key = key
            self.kind = kind
            self.build = build
            self.overrides = overrides
            self.reason = reason
            self.freshCallers = freshCallers
        }

        /// `access` is the schema's x-garrison-permission.
        func expectation(_ who: Who, access: String) -> Expect {
            if let override = overrides[who] { return override }
            switch kind {
            case .anonymous: return .success
            case .agent:
                switch who {
                case .anonymous, .noPermission, .superuser: return .status(401)
                case .otherScope: return .refused
                case .ownScope: return .success
                }
            case .scoped, .list, .global:
                switch who {
                case .anonymous: return .status(401)
                case .noPermission: return access == "authenticated" ? .success : .status(403)
                case .otherScope:
                    if case .scoped = kind { return .status(404) }
                    if case .list = kind { return .successHiding }
                    return .success
                case .ownScope, .superuser: return .success
                }
            }
        }
    }
}
