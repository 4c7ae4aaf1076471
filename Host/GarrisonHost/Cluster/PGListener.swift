import CLibPQ
import Foundation
import NIOConcurrencyHelpers

/// PostgreSQL LISTEN on one channel from a dedicated thread and connection (the pool's
/// connections are shared and blocking, so none can wait for notifications). It reconnects
/// forever; after each (re)connection `onConnected` runs, because notifications sent while
/// it was away are lost and the caller must assume anything changed.
final class PGListener: Sendable {
    private let conninfo: String
    private let channel: String
    private let onConnected: @Sendable () -> Void
    private let onNotification: @Sendable (String) -> Void
    private let running = NIOLockedValueBox(true)
    private let connected = NIOLockedValueBox(false)
    private let exited = ConditionLock(value: false)

    /// `channel` must be a plain SQL identifier (it is written into LISTEN as it is).
    init(
        conninfo: String, channel: String, onConnected: @escaping @Sendable () -> Void,
        onNotification: @escaping @Sendable (String) -> Void
    ) {
        self.conninfo = conninfo
        self.channel = channel
        self.onConnected = onConnected
        self.onNotification = onNotification
    }

    func start() {
        let thread = Thread { [self] in
            run()
            exited.lock()
            exited.unlock(withValue: true)
        }
        thread.name = "garrison-listen-\(channel)"
        thread.start()
    }

    /// True while LISTEN is in force: notifications are being received.
    var isListening: Bool { connected.withLockedValue { $0 } }

    /// Ends the thread (within 250 ms) and closes its connection.
    func stop() {
        running.withLockedValue { $0 = false }
        _ = exited.lock(whenValue: true, timeoutSeconds: 2)
        exited.unlock()
    }

    private var isRunning: Bool { running.withLockedValue { $0 } }

    private func run() {
        while isRunning {
            guard let connection = PQconnectdb(conninfo) else { return }
            defer { PQfinish(connection) }
            if PQstatus(connection) == CONNECTION_OK, let result = PQexec(connection, "LISTEN \(channel)") {
                let ok = PQresultStatus(result) == PGRES_COMMAND_OK
                PQclear(result)
                if ok {
                    connected.withLockedValue { $0 = true }
                    onConnected()
                    receive(connection)
                    connected.withLockedValue { $0 = false }
                }
            }
            // Broken or refused: try again shortly (the database may be restarting).
            var waited = 0
            while isRunning && waited < 250 {
                usleep(50_000)
                waited += 50
            }
        }
    }

    /// Waits for notifications until the connection breaks or `stop` is called.
    private func receive(_ connection: OpaquePointer) {
        let socket = PQsocket(connection)
        while isRunning {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 250)
            if ready < 0 && errno != EINTR { return }
            if ready > 0 {
                guard PQconsumeInput(connection) == 1 else { return }
                while let notification = PQnotifies(connection) {
                    let payload = notification.pointee.extra.map { String(cString: $0) } ?? ""
                    PQfreemem(notification)
                    onNotification(payload)
                }
            }
            if PQstatus(connection) != CONNECTION_OK { return }
        }
    }
}
