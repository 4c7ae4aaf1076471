import Foundation
import HTTPTypes
import Hummingbird

/// The web dashboard's files: `/` answers the page, `/dashboard/<file>` its styles, modules
/// and icons. They are inert (no data, no server-side logic): everything the page shows it
/// fetches from the REST routes and /ws/dashinfo/ with the operator's own token, under the
/// same permissions and scope as any API client. Served by the host, not a plugin, because
/// the sign-in page must load without a token and the ABI gives plugins no anonymous routes
/// (README.md, "The web dashboard", says why it stays that way).
enum DashboardRoutes {
    struct Asset: Sendable {
        let body: Data
        let contentType: String
        /// A strong validator: the first 16 bytes of the body's SHA-256, quoted.
        let etag: String
    }

    /// Decoded once, at first use, from the base64 the build embedded (Tools/dashboard-assets).
    static let assets: [String: Asset] = {
        var assets: [String: Asset] = [:]
        for file in dashboardAssetFiles {
            guard let body = Data(base64Encoded: file.base64) else { continue }
            assets[file.name] = Asset(
                body: body, contentType: contentType(file.name), etag: "\"\(Crypto.hex(Crypto.sha256(body)).prefix(32))\"")
        }
        return assets
    }()

    static func contentType(_ name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) ?? "" {
        case "html": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "json": return "application/json"
        default: return "application/octet-stream"
        }
    }

    /// The page may load only its own files and talk only to its own origin (REST and the
    /// websockets); data: images are the two-factor QR code.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static func routes() -> [Route] {
        [
            Route(.get, "/", access: .anonymous, summary: "The web dashboard (HTML)") { call in
                try serve("index.html", call)
            },
            Route(.get, "/dashboard/<file>/", access: .anonymous, summary: "The web dashboard's styles, modules and icons") { call in
                try serve(call.param("file"), call)
            },
        ]
    }

    /// Every answer revalidates (`no-cache` with an ETag): a reload after an upgrade never
    /// mixes modules of two builds, and an unchanged file costs a 304 with no body.
    static func serve(_ name: String, _ call: Call) throws -> Response {
        guard let asset = assets[name] else {
            throw APIError(.notFound, "Not found: the dashboard has no file \(name).")
        }
        var headers = HTTPFields()
        headers[.eTag] = asset.etag
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        if asset.contentType.hasPrefix("text/html") {
            headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
            headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        }
        if let match = call.headers[.ifNoneMatch], match.split(separator: ",").contains(where: {
            let tag = $0.trimmingCharacters(in: .whitespaces)
            return tag == asset.etag || tag == "W/" + asset.etag || tag == "*"
        }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        headers[.contentLength] = String(asset.body.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: asset.body)))
    }
}
