import Foundation
import Hummingbird
import NIOCore

/// Builders for the JSON answers every route gives.
public enum Responses {
    public static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        raw(value.serialized(), status: status)
    }

    public static func raw(_ data: Data, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    public static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8")
        -> Response
    {
        raw(Data(text.utf8), status: status, contentType: contentType)
    }

    public static func detail(_ detail: String, status: HTTPResponse.Status) -> Response {
        json(["detail": .string(detail)], status: status)
    }

    /// Tactical RMM answers many writes with a plain JSON string ("Client was added").
    public static func message(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        json(.string(text), status: status)
    }

    public static func error(_ error: APIError) -> Response {
        var response = detail(error.detail, status: error.status)
        for field in error.headers { response.headers.append(field) }
        return response
    }
}
