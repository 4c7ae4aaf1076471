import CGarrisonPlugin

/// The `garrison_host_api` every plugin gets: one table for the process, since the
/// `garrison_host*` argument says which plugin calls. Each member is a closure without
/// captures (so it converts to a C function pointer), defined here and not in main.swift:
/// top-level closures there are main-actor isolated and trap when a plugin thread calls
/// them. Each one only finds the Swift object and hands over.
enum HostAPITable {
    nonisolated(unsafe) static let pointer: UnsafePointer<garrison_host_api> = {
        // Written once here, read-only for the life of the process.
        let table = UnsafeMutablePointer<garrison_host_api>.allocate(capacity: 1)
        table.initialize(to: make())
        return UnsafePointer(table)
    }()

    private static func make() -> garrison_host_api {
        var api = garrison_host_api()
        api.struct_size = UInt32(MemoryLayout<garrison_host_api>.size)
        api.abi_major = PluginABI.major
        api.abi_minor = PluginABI.minor

        // 1.0
        api.log = { host, level, message in
            LoadedPlugin.from(host)?.log(level: level, message: message)
        }
        api.settings = { host in
            LoadedPlugin.from(host)?.settings.bytes ?? .empty
        }
        api.register_route = { host, method, pattern, permission, fn, user, freeFn, out in
            guard let plugin = LoadedPlugin.from(host) else { return GARRISON_ERR_INVALID }
            return plugin.registerRoute(
                method: method, pattern: pattern, permission: permission, scopesCSV: .empty, fn: fn, user: user, freeFn: freeFn, out: out)
        }
        api.call_header = { call, name, out in
            PluginCall.from(call)?.header(name, out) ?? GARRISON_ERR_INVALID
        }
        api.call_set_header = { call, name, value in
            PluginCall.from(call)?.setHeader(name, value) ?? GARRISON_ERR_INVALID
        }
        api.call_respond = { call, status, contentType, body in
            PluginCall.from(call)?.respond(status, contentType, body) ?? GARRISON_ERR_INVALID
        }
        api.register_migration = { host, version, sql in
            LoadedPlugin.from(host)?.registerMigration(version: version, sql: sql) ?? GARRISON_ERR_INVALID
        }
        api.db_query = { host, sql, params, done, user, cancelOut in
            LoadedPlugin.from(host)?.dbQuery(sql: sql, params: params, done: done, user: user, cancelOut: cancelOut) ?? GARRISON_ERR_INVALID
        }
        api.core_get = { host, kind, id, done, user, cancelOut in
            LoadedPlugin.from(host)?.coreGet(kind: kind, id: id, done: done, user: user, cancelOut: cancelOut) ?? GARRISON_ERR_INVALID
        }
        api.event_publish = { host, name, json in
            LoadedPlugin.from(host)?.publish(name: name, json: json) ?? GARRISON_ERR_INVALID
        }
        api.event_subscribe = { host, pattern, fn, user, freeFn, out in
            LoadedPlugin.from(host)?.subscribe(pattern: pattern, fn: fn, user: user, freeFn: freeFn, out: out) ?? GARRISON_ERR_INVALID
        }
        api.register_job_kind = { host, kind, fn, user, freeFn, out in
            LoadedPlugin.from(host)?.registerJobKind(kind: kind, fn: fn, user: user, freeFn: freeFn, out: out) ?? GARRISON_ERR_INVALID
        }
        api.job_complete = { job, status, result in
            LoadedPlugin.jobComplete(job, status: status, result: result)
        }
        api.schedule_upsert = { host, schedule, done, user, cancelOut in
            LoadedPlugin.from(host)?.scheduleUpsert(schedule, done: done, user: user, cancelOut: cancelOut) ?? GARRISON_ERR_INVALID
        }
        api.schedule_cancel = { host, scheduleID, done, user, cancelOut in
            LoadedPlugin.from(host)?.scheduleCancel(scheduleID, done: done, user: user, cancelOut: cancelOut) ?? GARRISON_ERR_INVALID
        }
        api.register_agent_handler = { host, tag, fn, user, freeFn, out in
            LoadedPlugin.from(host)?.registerAgentHandler(tag: tag, fn: fn, user: user, freeFn: freeFn, out: out) ?? GARRISON_ERR_INVALID
        }
        api.agent_request = { host, agentID, payload, timeoutMS, done, user, cancelOut in
            LoadedPlugin.from(host)?.agentRequest(
                agentID: agentID, payload: payload, timeoutMS: timeoutMS, done: done, user: user, cancelOut: cancelOut)
                ?? GARRISON_ERR_INVALID
        }
        api.agent_send = { host, agentID, payload in
            LoadedPlugin.from(host)?.agentSend(agentID: agentID, payload: payload) ?? GARRISON_ERR_INVALID
        }
        api.register_auth_hook = { host, fn, user, freeFn, out in
            LoadedPlugin.from(host)?.registerAuthHook(fn: fn, user: user, freeFn: freeFn, out: out) ?? GARRISON_ERR_INVALID
        }
        api.auth_complete = { call, verdict, data in
            PluginAuthCall.from(call)?.complete(verdict: verdict, data: data) ?? GARRISON_ERR_INVALID
        }
        api.cancel = { host, token in
            LoadedPlugin.from(host)?.cancel(token: token) ?? GARRISON_ERR_NOT_FOUND
        }

        // 1.1
        api.audit = { host, entry in
            LoadedPlugin.from(host)?.audit(entry) ?? GARRISON_ERR_INVALID
        }
        api.call_param = { call, name, out in
            PluginCall.from(call)?.param(name, out) ?? GARRISON_ERR_INVALID
        }
        api.register_route_scoped = { host, method, pattern, permission, scopes, fn, user, freeFn, out in
            guard let plugin = LoadedPlugin.from(host) else { return GARRISON_ERR_INVALID }
            return plugin.registerRoute(
                method: method, pattern: pattern, permission: permission, scopesCSV: scopes, fn: fn, user: user, freeFn: freeFn, out: out)
        }

        // 1.2
        api.call_set_timeout = { call, timeoutMS in
            PluginCall.from(call)?.setTimeout(milliseconds: timeoutMS) ?? GARRISON_ERR_INVALID
        }

        // 1.3
        api.register_agent_member = { host, name, flags, fn, user, freeFn, out in
            LoadedPlugin.from(host)?.registerAgentMember(name: name, flags: flags, fn: fn, user: user, freeFn: freeFn, out: out)
                ?? GARRISON_ERR_INVALID
        }
        api.metric_add = { host, name, labels, delta in
            LoadedPlugin.from(host)?.metricAdd(name: name, labels: labels, delta: delta) ?? GARRISON_ERR_INVALID
        }
        return api
    }
}
