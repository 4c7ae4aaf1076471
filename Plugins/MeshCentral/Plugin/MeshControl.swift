import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PluginKit
import Synchronization
import WSClient

/// Why a call to MeshCentral failed; routes answer 502 with `detail`.
struct MeshUnavailable: Error, CustomStringConvertible {
    let detail: String
    var description: String { detail }
}

/// MeshCentral's control socket (control.ashx): one websocket per operation, as Tactical RMM
/// opens them, authenticated by an `auth=` cookie of the API user. Text frames carry one JSON
/// object each; MeshCentral pushes frames of its own (server info, events) that a reply wait
/// skips. Every operation has a deadline: past it the socket is dropped and the caller gets
/// MeshUnavailable, so a silent MeshCentral never holds a route.
final class MeshControl: Sendable {
    let group: MultiThreadedEventLoopGroup
    let logger: Logger

    init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "meshcentral.control")
        logger.logLevel = .critical
        self.logger = logger
    }

    func shutdown() { try? group.syncShutdownGracefully() }

    /// One open socket, handed to `session`'s body.
    final class Connection: @unchecked Sendable {
        // Used only from the body, which runs inside the websocket handler, one call at a time.
        private var inbound: WebSocketInboundMessageStream.AsyncIterator
        private let outbound: WebSocketOutboundWriter
        private(set) var sent: Int = 0

        init(inbound: WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter) {
            self.inbound = inbound
            self.outbound = outbound
        }

        func send(_ message: JSON) async throws {
            try await outbound.write(.text(String(decoding: message.jsonBytes, as: UTF8.self)))
            sent += 1
        }

        /// The first frame whose "action" is `action`; other frames are skipped.
        func reply(_ action: String) async throws -> JSON {
            while true {
                guard let message = try await inbound.next() else {
                    throw MeshUnavailable(detail: "MeshCentral closed the control socket before answering \(action)")
                }
                guard case .text(let text) = message else { continue }
                guard let value = try? JSON(parsing: Data(text.utf8)), value.objectValue != nil else {
                    throw MeshUnavailable(detail: "MeshCentral answered \(action) with something that is not a JSON object")
                }
                if value["action"]?.stringValue == action { return value }
            }
        }

        /// Sends `message` and waits for the reply of the same action.
        func request(_ message: JSON) async throws -> JSON {
            try await send(message)
            return try await reply(message["action"]?.stringValue ?? "")
        }
    }

    /// Opens `url`, runs `body` with the socket, closes it. Connection failures, a closed or
    /// garbled socket and the deadline all throw MeshUnavailable.
    func session<T: Sendable>(
        url: String, timeout: Duration, _ body: @escaping @Sendable (Connection) async throws -> T
    ) async throws -> T {
        let result = ResultBox<T>()
        let configuration = WebSocketClientConfiguration(maxFrameSize: 100 << 20, closeTimeout: .seconds(1))
        let tls: TLSConfiguration? = url.hasPrefix("wss://") ? TLSConfiguration.makeClientConfiguration() : nil
        let group = self.group
        let logger = self.logger
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    try await WebSocketClient.connect(
                        url: url, configuration: configuration, tlsConfiguration: tls, eventLoopGroup: group, logger: logger
                    ) { inbound, outbound, _ in
                        let connection = Connection(inbound: inbound.messages(maxSize: 100 << 20).makeAsyncIterator(), outbound: outbound)
                        let value = try await body(connection)
                        result.set(value)
                    }
                }
                tasks.addTask {
                    try await Task.sleep(for: timeout)
                    throw MeshUnavailable(detail: "MeshCentral did not answer within \(timeout.components.seconds) s")
                }
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch let error as MeshUnavailable {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MeshUnavailable(detail: "MeshCentral's control socket failed: \(error)")
        }
        guard let value = result.get() else {
            throw MeshUnavailable(detail: "MeshCentral closed the control socket")
        }
        return value
    }
}

/// The value a websocket handler produced, read after the socket closed.
final class ResultBox<T: Sendable>: Sendable {
    private let value = Mutex<T?>(nil)
    func set(_ v: T) { value.withLock { $0 = v } }
    func get() -> T? { value.withLock { $0 } }
}
