import CGarrisonPlugin
import Foundation

extension FakeHost {
    /// Sets every member: the header promises non-NULL members within
    /// struct_size, and services the fake lacks answer ERR_UNSUPPORTED.
    static func fill(_ t: inout garrison_host_api) {
        t.log = { host, level, msg in
            FakeHost.from(host).state.withLock { $0.logs.append((level, msg.text)) }
        }
        t.settings = { host in
            let b = FakeHost.from(host).settingsBytes
            return garrison_bytes(ptr: UnsafePointer(b.baseAddress), len: b.count)
        }
        t.register_route = { host, method, path, permission, fn, user, free, out in
            guard let fn else { return GARRISON_ERR_INVALID }
            out?.pointee = 1
            return FakeHost.from(host).record(
                .init(
                    kind: "route", key: "\(method.text) \(path.text)", scopes: permission.text,
                    fn: unsafeBitCast(fn, to: UnsafeRawPointer.self), user: user, free: free))
        }
        t.register_route_scoped = { host, method, path, permission, scopes, fn, user, free, out in
            guard let fn else { return GARRISON_ERR_INVALID }
            out?.pointee = 1
            return FakeHost.from(host).record(
                .init(
                    kind: "route", key: "\(method.text) \(path.text)", scopes: "\(permission.text) [\(scopes.text)]",
                    fn: unsafeBitCast(fn, to: UnsafeRawPointer.self), user: user, free: free))
        }
        t.call_header = { call, name, out in
            let value = FakeCall.from(call).state.withLock { $0.headers[name.text.lowercased()] }
            guard let value else { return GARRISON_ERR_NOT_FOUND }
            // Borrowed "until call_respond": a leak is the simplest lifetime for a test.
            let p = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(value.utf8.count, 1))
            _ = p.initialize(from: value.utf8)
            out?.pointee = garrison_bytes(ptr: UnsafePointer(p.baseAddress), len: value.utf8.count)
            return GARRISON_OK
        }
        t.call_set_header = { call, name, value in
            if name.text.lowercased() == "content-type" { return GARRISON_ERR_INVALID }
            FakeCall.from(call).state.withLock { $0.headers["out:" + name.text] = value.text }
            return GARRISON_OK
        }
        t.call_respond = { call, status, type, body in
            guard (200...599).contains(status) else { return GARRISON_ERR_INVALID }
            return FakeCall.from(call).state.withLock { s in
                s.responses += 1
                if s.response != nil { return GARRISON_ERR_PHASE }
                let out = s.headers.filter { $0.key.hasPrefix("out:") }
                s.response = .init(
                    status: status, contentType: type.text, body: body.text,
                    headers: Dictionary(uniqueKeysWithValues: out.map { (String($0.key.dropFirst(4)), $0.value) }))
                return GARRISON_OK
            }
        }
        t.register_migration = { host, version, sql in
            FakeHost.from(host).state.withLock { s in
                guard s.registering else { return GARRISON_ERR_PHASE }
                s.migrations.append((version, sql.text))
                return GARRISON_OK
            }
        }
        t.db_query = { host, sql, params, done, user, cancelOut in
            guard let done else { return GARRISON_ERR_INVALID }
            let fake = FakeHost.from(host)
            let answer = fake.state.withLock { s in
                s.queries.append((sql.text, params.text))
                return s.dbAnswer
            }
            cancelOut?.pointee = 42
            withCStrings([answer.1]) { b in done(user, answer.0, b[0]) }  // before returning
            return GARRISON_OK
        }
        t.core_get = { host, kind, id, done, user, cancelOut in
            guard let done else { return GARRISON_ERR_INVALID }
            let object = FakeHost.from(host).state.withLock { $0.coreObjects["\(kind.text)/\(id.text)"] }
            cancelOut?.pointee = 43
            withCStrings([object ?? "no \(kind.text) \(id.text)"]) { b in done(user, object == nil ? GARRISON_ERR_NOT_FOUND : GARRISON_OK, b[0]) }
            return GARRISON_OK
        }
        t.event_publish = { host, name, json in
            FakeHost.from(host).state.withLock { $0.published.append((name.text, json.text)) }
            return GARRISON_OK
        }
        t.event_subscribe = { host, pattern, fn, user, free, out in
            guard let fn else { return GARRISON_ERR_INVALID }
            return FakeHost.from(host).record(
                .init(
                    kind: "event", key: pattern.text, scopes: "",
                    fn: unsafeBitCast(fn, to: UnsafeRawPointer.self), user: user, free: free))
        }
        t.register_job_kind = { host, kind, fn, user, free, out in
            guard let fn else { return GARRISON_ERR_INVALID }
            return FakeHost.from(host).record(
                .init(
                    kind: "job", key: kind.text, scopes: "",
                    fn: unsafeBitCast(fn, to: UnsafeRawPointer.self), user: user, free: free))
        }
        t.job_complete = { _, _, _ in GARRISON_ERR_UNSUPPORTED }
        t.schedule_upsert = { _, _, _, _, _ in GARRISON_ERR_UNSUPPORTED }
        t.schedule_cancel = { _, _, _, _, _ in GARRISON_ERR_UNSUPPORTED }
        t.register_agent_handler = { host, tag, fn, user, free, out in
            guard let fn else { return GARRISON_ERR_INVALID }
            return FakeHost.from(host).record(
                .init(
                    kind: "agent", key: tag.text, scopes: "",
                    fn: unsafeBitCast(fn, to: UnsafeRawPointer.self), user: user, free: free))
        }
        t.agent_request = { host, agentID, payload, _, done, user, cancelOut in
            guard let done else { return GARRISON_ERR_INVALID }
            let fake = FakeHost.from(host)
            let function = (try? JSONSerialization.jsonObject(with: Data(payload.text.utf8)) as? [String: Any])?["func"] as? String ?? ""
            let answer = fake.state.withLock { s in
                s.agentCommands.append((agentID.text, payload.text))
                return s.agentAnswers[function] ?? (GARRISON_ERR_UNAVAILABLE, "agent \(agentID.text) is offline")
            }
            cancelOut?.pointee = 44
            withCStrings([answer.1]) { b in done(user, answer.0, b[0]) }
            return GARRISON_OK
        }
        t.agent_send = { host, agentID, payload in
            FakeHost.from(host).state.withLock { $0.agentCommands.append((agentID.text, payload.text)) }
            return GARRISON_OK
        }
        t.register_auth_hook = { host, fn, user, free, out in
            guard let fn else { return GARRISON_ERR_INVALID }
            return FakeHost.from(host).record(
                .init(
                    kind: "auth", key: "", scopes: "",
                    fn: unsafeBitCast(fn, to: UnsafeRawPointer.self), user: user, free: free))
        }
        t.auth_complete = { _, _, _ in GARRISON_ERR_UNSUPPORTED }
        t.cancel = { _, _ in GARRISON_ERR_NOT_FOUND }
        t.audit = { host, entry in
            FakeHost.from(host).state.withLock { $0.audits.append(entry.text) }
            return GARRISON_OK
        }
        t.call_param = { _, _, _ in GARRISON_ERR_NOT_FOUND }
        t.call_set_timeout = { call, ms in
            guard ms > 0, ms <= GARRISON_CALL_TIMEOUT_MAX_MS else { return GARRISON_ERR_INVALID }
            FakeCall.from(call).host?.state.withLock { $0.callTimeoutMS = ms }
            return GARRISON_OK
        }
        t.register_agent_member = { host, name, flags, fn, user, free, out in
            guard let fn else { return GARRISON_ERR_INVALID }
            out?.pointee = 1
            return FakeHost.from(host).record(
                .init(
                    kind: "agent_member", key: name.text, scopes: String(flags),
                    fn: unsafeBitCast(fn, to: UnsafeRawPointer.self), user: user, free: free))
        }
        t.metric_add = { host, name, labels, delta in
            FakeHost.from(host).state.withLock { $0.counters["\(name.text) \(labels.text)", default: 0] += delta }
            return GARRISON_OK
        }
    }
}
