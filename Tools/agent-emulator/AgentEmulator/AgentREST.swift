import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The agent's REST calls: one request per connection (`Connection: close`, as the agent's
/// HTTP client does, docs/agent-protocol.md §7.1), JSON in and out.
public enum AgentREST {
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func request(
        _ method: HTTPMethod, host: String, port: Int, path: String, authorization: [(String, String)] = [],
        json: String? = nil, tls: NIOSSLContext, on loop: any EventLoop
    ) -> EventLoopFuture<Reply> {
        let done = loop.makePromise(of: Reply.self)
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let serverName = host.first?.isNumber == true ? nil : host
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Collector(done: done))
                }
            }
            .connect(host: host, port: port)
            .whenComplete { result in
                switch result {
                case .failure(let error): done.fail(error)
                case .success(let channel):
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Connection", value: "close")
                    headers.add(name: "User-Agent", value: "trmm/2.9.1/linux/amd64")
                    for (name, value) in authorization { headers.add(name: name, value: value) }
                    var body: ByteBuffer?
                    if let json {
                        body = channel.allocator.buffer(string: json)
                        headers.add(name: "Content-Type", value: "application/json")
                        headers.add(name: "Content-Length", value: String(json.utf8.count))
                    }
                    let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
                    channel.write(HTTPClientRequestPart.head(head), promise: nil)
                    if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                }
            }
        return done.futureResult
    }

    /// `POST /api/v3/newagent/` as the installer sends it (keys in the observed order).
    public static func enroll(
        _ agentID: String, hostname: String, site: Int, host: String, port: Int, authorization: [(String, String)],
        tls: NIOSSLContext, on loop: any EventLoop
    ) -> EventLoopFuture<AgentIdentity> {
        let json =
            #"{"agent_id":"\#(agentID)","description":"","goarch":"amd64","hostname":"\#(hostname)","mesh_node_id":"","monitoring_type":"server","plat":"linux","site":\#(site)}"#
        return request(
            .POST, host: host, port: port, path: "/api/v3/newagent/", authorization: authorization, json: json, tls: tls, on: loop
        )
        .flatMapThrowing { reply in
            guard reply.status == 200,
                let object = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any],
                let token = object["token"] as? String
            else {
                throw Failure(description: "newagent answered \(reply.status): \(reply.body.prefix(300))")
            }
            return AgentIdentity(agentID: agentID, token: token, hostname: hostname)
        }
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let done: EventLoopPromise<Reply>
        private var status = 0
        private var body = ByteBuffer()

        init(done: EventLoopPromise<Reply>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): status = Int(head.status.code)
            case .body(var part): body.writeBuffer(&part)
            case .end:
                done.succeed(Reply(status: status, body: String(buffer: body)))
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.fail(Failure(description: "connection closed before a full answer"))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            done.fail(error)
            context.close(promise: nil)
        }
    }
}
