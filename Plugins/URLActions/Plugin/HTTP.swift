import CCurl
import Foundation
import PluginKit
import Synchronization

/// One webhook request through libcurl, on a thread of its own (blocking).
enum HTTP {
    struct Answer: Sendable {
        /// The HTTP status; 0 when none came (then `error` says why).
        let status: Int
        let text: String
        let error: String?
        let seconds: Double

        /// Worth trying again: no answer, 429 or a 5xx.
        var retry: Bool { status == 0 || status == 429 || status >= 500 }
    }

    /// The start of an answer that is kept (and recorded on the alert).
    static let maxAnswer = 65_536

    /// libcurl handles kept between requests, so a burst of webhooks to one receiver reuses
    /// its connections instead of opening one per request (libcurl reconnects when the
    /// receiver closed one). One request per handle at a time; at most `idle` are kept.
    final class Sessions: Sendable {
        /// A libcurl easy handle; used by one thread at a time (taken, then given back).
        struct Handle: @unchecked Sendable { let pointer: UnsafeMutableRawPointer }

        private let free = Mutex<[Handle]>([])
        private let idle: Int

        init(idle: Int) { self.idle = idle }

        func take() -> Handle? {
            if let kept = free.withLock({ $0.popLast() }) { return kept }
            return ccurl_session_new().map(Handle.init)
        }

        func give(_ handle: Handle?) {
            guard let handle else { return }
            let kept = free.withLock { list in
                guard list.count < idle else { return false }
                list.append(handle)
                return true
            }
            if !kept { ccurl_session_free(handle.pointer) }
        }

        deinit { for handle in free.withLock({ $0 }) { ccurl_session_free(handle.pointer) } }
    }

    static func send(
        method: String, url: String, headers: [(String, String)], body: String?, timeout: Int, sessions: Sessions? = nil
    ) async -> Answer {
        await withCheckedContinuation { continuation in
            Thread {
                let handle = sessions?.take()
                let answer = sendBlocking(method: method, url: url, headers: headers, body: body, timeout: timeout, session: handle?.pointer)
                sessions?.give(handle)
                continuation.resume(returning: answer)
            }.start()
        }
    }

    static func sendBlocking(
        method: String, url: String, headers: [(String, String)], body: String?, timeout: Int, session: UnsafeMutableRawPointer? = nil
    ) -> Answer {
        var lines = headers.map { "\($0.0): \($0.1)" }
        // libcurl would add a form Content-Type to a body and Expect: 100-continue to a large
        // one; Tactical RMM sends only the action's own headers.
        if body != nil, !headers.contains(where: { $0.0.lowercased() == "content-type" }) { lines.append("Content-Type:") }
        lines.append("Expect:")
        let data = Array((body ?? "").utf8)
        var errbuf = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var answer = [CChar](repeating: 0, count: maxAnswer + 1)
        var status = 0
        let started = Date()
        let code = data.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { pointer in
                ccurl_http_on(
                    session, method.uppercased(), url, nil, nil, lines.joined(separator: "\n"), pointer.baseAddress, body == nil ? 0 : pointer.count,
                    timeout, &status, &answer, answer.count, &errbuf)
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let text = String(decoding: answer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if code != 0 {
            let curl = String(decoding: errbuf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return Answer(status: 0, text: "", error: curl.isEmpty ? String(cString: ccurl_strerror(code)) : curl, seconds: seconds)
        }
        return Answer(status: status, text: text, error: nil, seconds: seconds)
    }
}
