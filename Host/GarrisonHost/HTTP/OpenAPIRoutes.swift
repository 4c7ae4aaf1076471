import Foundation
import Hummingbird

/// `/api/schema/`: an OpenAPI 3.1 document generated from the live route table, so plugin
/// routes appear as soon as a plugin loads. Each operation names the permission it needs.
enum OpenAPIRoutes {
    static func routes(_ dispatcher: Dispatcher) -> [Route] {
        [
            Route(.get, "/api/schema/", access: .authenticated, summary: "This OpenAPI document") { _ in
                Responses.json(document(dispatcher.routes))
            }
        ]
    }

    static func document(_ routes: [Route]) -> JSON {
        var paths: [String: [String: JSON]] = [:]
        for route in routes {
            let path = route.pattern.replacingOccurrences(of: "<", with: "{").replacingOccurrences(of: ">", with: "}")
            let parameters: [JSON] = RoutePattern.segments(route.pattern).compactMap { segment in
                guard case .parameter(let name) = segment else { return nil }
                return ["name": .string(name), "in": "path", "required": true, "schema": OpenAPIShapes.pathParameterSchema(name)]
            }
            let query: [JSON] = (OpenAPIShapes.queryParameters[OpenAPIShapes.key(route)] ?? []).map { parameter in
                [
                    "name": .string(parameter.name), "in": "query", "required": false, "schema": parameter.schema,
                    "description": .string(parameter.description),
                ]
            }
            var operation: [String: JSON] = [
                "summary": .string(route.summary.isEmpty ? "\(route.method.rawValue) \(route.pattern)" : route.summary),
                "tags": [.string(route.owner)],
                "x-garrison-permission": .string(route.access.description),
                "parameters": .array(parameters + query),
                "responses": OpenAPIShapes.responses(route),
            ]
            if let body = OpenAPIShapes.requestBody(route) { operation["requestBody"] = body }
            switch route.access {
            case .anonymous: operation["security"] = []
            case .agent: operation["security"] = [["agentToken": []]]
            default: break
            }
            paths[path, default: [:]][route.method.rawValue.lowercased()] = .object(operation)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "Garrison", "version": .string(GarrisonVersion.string)],
            "components": [
                "schemas": ["Error": OpenAPIShapes.errorSchema],
                "securitySchemes": [
                    "token": ["type": "apiKey", "in": "header", "name": "Authorization", "description": "Token <token> from /v2/login/"],
                    "apiKey": ["type": "apiKey", "in": "header", "name": "X-API-KEY"],
                    "agentToken": ["type": "apiKey", "in": "header", "name": "Authorization"],
                ],
            ],
            "security": [["token": []], ["apiKey": []]],
            "paths": .object(paths.mapValues { .object($0) }),
        ]
    }
}
