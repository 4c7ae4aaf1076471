import Foundation
import HTTPTypes
import Hummingbird

/// Health for load balancers and Tactical RMM's monitoring endpoints.
///
/// - `GET /core/health/` (Garrison's own, anonymous): 200 while the database answers, 503 when
///   not. `GET /core/status/` answers the same, for the load balancers and scripts that were
///   set up before the health route moved (Tactical RMM has no GET there).
/// - `POST /core/status/` and `GET /core/v2/status/`: Tactical RMM's, guarded by the monitoring
///   token (`[auth] monitoring_token`, Tactical RMM's MON_TOKEN) rather than a login, with its
///   plain-text errors. Which of Tactical RMM's services each `services_running` key stands for
///   in Garrison is in docs/compatibility.md.
enum MonitoringRoutes {
    struct Sources: Sendable {
        var token: String
        var certificate: URL
        var dataDirectory: URL
        var latestAgentVersion: String
        var natsWebsocketPort: @Sendable () -> Int?
        var busConnected: @Sendable () -> Bool
    }

    static func routes(_ host: HostContext, _ sources: Sources) -> [Route] {
        let health: RouteHandler = { _ in
            do {
                try await host.pool.query("SELECT 1")
                return Responses.json([
                    "status": "ok", "version": .string(GarrisonVersion.string), "commit": .string(GarrisonVersion.commit),
                    "database": "ok", "uptime_seconds": .init(Int(-host.startedAt.timeIntervalSinceNow)),
                ])
            } catch {
                return Responses.json(
                    ["status": "degraded", "version": .string(GarrisonVersion.string), "database": "unavailable"],
                    status: .serviceUnavailable)
            }
        }
        return [
            Route(.get, "/core/health/", access: .anonymous, summary: "Health: answers 200 when the database answers", handler: health),
            Route(
                .get, "/core/status/", access: .anonymous, summary: "Health (the route's former place; see /core/health/)", handler: health),
            Route(
                .post, "/core/status/", access: .anonymous,
                summary: "Tactical RMM's monitoring status; the body is {\"auth\": <monitoring token>}"
            ) { call in
                guard let body = try? JSON.parse(call.bodyData) else { return plain("Invalid json", .badRequest) }
                guard case .object(let fields) = body, let auth = fields["auth"]?.stringValue else {
                    return plain("Invalid payload", .badRequest)
                }
                if auth.isEmpty || sources.token.isEmpty { return plain("Missing token", .unauthorized) }
                guard Crypto.constantTimeEquals(Array(auth.utf8), Array(sources.token.utf8)) else {
                    return plain("Not authenticated", .unauthorized)
                }
                return indented(try await status(host, sources, v2: false))
            },
            Route(
                .get, "/core/v2/status/", access: .anonymous,
                summary: "Tactical RMM's monitoring status; the monitoring token in the X-Mon-Token header"
            ) { call in
                guard let given = call.headers[HTTPField.Name("X-Mon-Token")!] else {
                    return plain("Missing X-Mon-Token header", .unauthorized)
                }
                if sources.token.isEmpty { return plain("Missing mon token", .unauthorized) }
                guard Crypto.constantTimeEquals(Array(given.utf8), Array(sources.token.utf8)) else {
                    return plain("Not authenticated", .unauthorized)
                }
                return indented(try await status(host, sources, v2: true))
            },
        ]
    }

    static func status(_ host: HostContext, _ sources: Sources, v2: Bool) async throws -> JSON {
        var databaseUp = true
        var counts = (agents: 0, clients: 0, sites: 0)
        do {
            if let row = try await host.pool.query(
                "SELECT (SELECT count(*) FROM agents) AS a, (SELECT count(*) FROM clients) AS c, (SELECT count(*) FROM sites) AS s"
            ).first {
                counts = (row.int("a"), row.int("c"), row.int("s"))
            }
        } catch { databaseUp = false }
        let days = CertificateExpiry.daysLeft(sources.certificate)
        let bus = sources.busConnected()
        // Tactical RMM's service names, each answered by the part of Garrison that does its
        // job: the host itself is its Django, Daphne, Celery, Celery beat and nats-api; Redis
        // and nginx have no counterpart to fail (the host caches in memory and terminates TLS).
        var services: [String: JSON] = [
            "django": true, "daphne": true, "celery": true, "celerybeat": true, "nats-api": .bool(bus), "redis": true,
            "nats": .bool(bus), "mesh": false,
        ]
        if !v2 {
            services["postgres"] = .bool(databaseUp)
            services["nginx"] = true
            services["mongo"] = false
        }
        var answer: [String: JSON] = [
            "version": .string(GarrisonVersion.string), "latest_agent_version": .string(sources.latestAgentVersion),
            "agent_count": .init(counts.agents), "client_count": .init(counts.clients), "site_count": .init(counts.sites),
            "disk_usage_percent": .number(SystemUsage.diskPercent(sources.dataDirectory)),
            "mem_usage_percent": .number(SystemUsage.memoryPercent()),
            "days_until_cert_expires": .init(days ?? 0), "cert_expired": .bool((days ?? 0) < 0), "redis_ping": true,
            "services_running": .object(services),
        ]
        if v2 {
            let backlog = (try? await host.pool.query("SELECT count(*) AS n FROM job_runs WHERE state = 'pending' AND due_at < now()"))?
                .first?.int("n")
            answer["celery_queue_len"] = .init(backlog ?? -1)
            // A backlog of due runs that no host has claimed means the scheduler is behind.
            answer["celery_queue_health"] = .string(backlog.map { $0 < 1000 } == true ? "healthy" : "unhealthy")
            answer["nats_std_ping"] = .bool(bus)
            answer["nats_ws_ping"] = .bool(sources.natsWebsocketPort().map { ChildProcess.isListening(port: $0) } ?? false)
            answer["mesh_ping"] = false
        }
        return .object(answer)
    }

    /// Tactical RMM's errors here are text with a trailing newline, not DRF's JSON.
    static func plain(_ text: String, _ status: HTTPResponse.Status) -> Response {
        Responses.text(text + "\n", status: status)
    }

    /// Its answers are Django's JsonResponse indented by two spaces (Foundation's pretty printer
    /// indents by two as well).
    static func indented(_ value: JSON) -> Response {
        let data = value.serialized()
        guard let object = try? JSONSerialization.jsonObject(with: data),
            let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return Responses.raw(data) }
        return Responses.raw(pretty)
    }
}
