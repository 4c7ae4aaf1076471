import FuzzSupport
import NIOCore
#if DEBUG
@testable import GarrisonHost
#endif

// The /natsws sniffer (Server/NATSWebSocket/NATSWebSocketSniffer.swift) looks at the first
// bytes of every connection on the HTTPS port, before any authentication. It sees the
// head grow as it arrives: here the input is classified at every 64-byte step and at its
// end, as a connection delivering it in pieces would have it classified.

#if DEBUG
FuzzDriver.run { input in
    var buffer = ByteBufferAllocator().buffer(capacity: input.count)
    var offset = 0
    while offset < input.count {
        let end = min(offset + 64, input.count)
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
        offset = end
        if NATSWebSocketSniffer.classify(buffer) != .undecided { return }
    }
}
#else
print("The /natsws sniffer target needs a debug build (it reaches the sniffer through @testable import).")
#endif
