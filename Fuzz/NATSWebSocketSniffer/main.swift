import FuzzSupport
import NIOCore
#if DEBUG
    @testable import GarrisonHost
#endif

// The /natsws sniffer (Server/NATSWebSocket/NATSWebSocketSniffer.swift) looks at the first
// bytes of every connection on the HTTPS port, before any authentication. It sees the head
// grow as it arrives and remembers how far it searched: here the input arrives in pieces of
// 1 to 64 bytes (the first byte sets the size), classified after each as the sniffer does,
// and the verdict must be the one a single look at the same bytes gives.

#if DEBUG
    FuzzDriver.run { input in
        guard let first = input.first else { return }
        let piece = Int(first % 64) + 1
        var buffer = ByteBufferAllocator().buffer(capacity: input.count)
        var searched = 0
        var offset = 1
        while offset < input.count {
            let end = min(offset + piece, input.count)
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
            offset = end
            let verdict = NATSWebSocketSniffer.classify(buffer, searched: &searched)
            if verdict != .undecided {
                precondition(verdict == NATSWebSocketSniffer.classify(buffer), "piecewise \(verdict) differs from a single look")
                return
            }
        }
    }
#else
    print("The /natsws sniffer target needs a debug build (it reaches the sniffer through @testable import).")
#endif
