import CGarrisonPlugin
import Foundation
import Logging
import NIOPosix

/// Every plugins.d file and what became of it: load at start, reload on SIGHUP or
/// `POST /core/plugins/reload/`, disable, list. An actor, so loads and reloads never overlap;
/// serving never goes through it (routes hold their LoadedPlugin directly).
public actor PluginRegistry {
    /// One plugins.d file: its parsed content, the plugin loaded from it, or why not.
    struct Record: Sendable {
        let path: String
        var file: PluginFile?
        var host: LoadedPlugin?
        var error: PluginLoadError?
        var loadMilliseconds: Double?
    }

    /// What a reload did, for the reload route and the log.
    public struct ReloadReport: Sendable {
        public var loaded: [String] = []
        public var disabled: [String] = []
        public var failed: [String] = []
        public var refused: [String] = []
        public var unchanged: [String] = []
    }

    let directory: String
    let services: PluginServices
    var records: [String: Record] = [:]
    /// plugin_init, plugin_shutdown and free_fn run here: one host thread, never the
    /// cooperative pool (a plugin may block briefly in them, e.g. joining its threads).
    private let lifecycle: NIOThreadPool

    init(directory: String, services: PluginServices) {
        self.directory = directory
        self.services = services
        self.lifecycle = NIOThreadPool(numberOfThreads: 1)
        self.lifecycle.start()
    }

    var logger: Logger { services.logger }

    /// Loads every enabled file. Failures are skipped (one log line each) unless the file
    /// says `required = true`: then the first such failure is thrown and `serve` refuses to start.
    public func loadAll() async throws {
        guard let paths = PluginLoader.files(in: directory) else {
            logger.debug("no plugins folder", metadata: ["dir": "\(directory)"])
            return
        }
        for path in paths { records[path] = await load(path) }
        for path in paths {
            guard let record = records[path], let file = record.file, file.required, file.enabled, record.host?.instance.isServing != true
            else { continue }
            throw RequiredPluginFailed(
                error: record.error ?? PluginLoadError(.initFailed, .init(file: path, library: file.library), "not running"))
        }
    }

    /// Re-reads plugins.d: disables plugins whose file is gone or says enabled = false, loads
    /// files that are new or enabled now, retries failed ones. Running plugins whose file is
    /// unchanged keep serving; a changed library is refused (code changes need a restart).
    public func reload() async -> ReloadReport {
        var report = ReloadReport()
        let paths = PluginLoader.files(in: directory) ?? []
        let present = Set(paths)
        for path in records.keys.sorted() {
            guard let record = records[path], let host = record.host, host.instance.isServing else {
                if !present.contains(path) { records[path] = nil }
                continue
            }
            guard present.contains(path) else {
                await host.stop(reason: "its plugins.d file \(path) was removed", blocking: lifecycle)
                report.disabled.append(host.name)
                continue
            }
            let file: PluginFile
            do { file = try PluginLoader.read(path) } catch {
                report.refused.append("\(error); \(host.name) keeps running")
                logger.error("\(error); \(host.name) keeps running")
                continue
            }
            if !file.enabled {
                await host.stop(reason: "enabled = false in \(path)", blocking: lifecycle)
                records[path]?.file = file
                report.disabled.append(host.name)
            } else if file.library != host.file.library {
                let error = PluginLoadError(
                    .libraryChanged, host.subject,
                    "the file now names \(file.library); a running plugin's code cannot be replaced, restart the host to load it (\(host.name) keeps running the old library)"
                )
                logger.error("\(error)")
                report.refused.append(error.description)
            } else {
                report.unchanged.append(host.name)
            }
        }
        for path in paths {
            if let host = records[path]?.host {
                // Still serving: unchanged, or refused above.
                if host.instance.isServing { continue }
                // Disabled by `enabled = false` and still off: keep listing the plugin it was.
                if host.instance.state == .disabled, let file = try? PluginLoader.read(path), !file.enabled {
                    records[path]?.file = file
                    continue
                }
            }
            let record = await load(path)
            records[path] = record
            if let host = record.host, host.instance.isServing {
                report.loaded.append(host.name)
            } else if let error = record.error {
                report.failed.append(error.description)
            }
        }
        logger.notice(
            "plugins reloaded",
            metadata: [
                "loaded": "\(report.loaded)", "disabled": "\(report.disabled)", "failed": "\(report.failed.count)",
                "refused": "\(report.refused.count)",
            ])
        return report
    }

    /// Host shutdown: disables every running plugin in reverse load order.
    public func shutdown() async {
        for path in records.keys.sorted().reversed() {
            if let host = records[path]?.host { await host.stop(reason: "the host is shutting down", blocking: lifecycle) }
        }
        try? await lifecycle.shutdownGracefully()
    }

    /// The running plugins' names, in load order.
    public var running: [String] {
        records.keys.sorted().compactMap { records[$0]?.host }.filter { $0.instance.isServing }.map(\.name)
    }

    // MARK: loading one file

    private func load(_ path: String) async -> Record {
        let started = ContinuousClock.now
        var record = Record(path: path)
        do {
            let file = try PluginLoader.read(path)
            record.file = file
            guard file.enabled else { return record }
            let taken = takenNames()
            let descriptor = try await blocking { () throws(PluginLoadError) in
                try PluginLoader.open(file, taken: { name, schema in taken[name] ?? taken[schema] })
            }
            let host = LoadedPlugin.make(descriptor: descriptor, file: file, services: services)
            record.host = host
            try await start(host)
            let milliseconds = (ContinuousClock.now - started) / .milliseconds(1)
            record.loadMilliseconds = milliseconds
            host.withState { $0.loadMilliseconds = milliseconds }
            logger.info(
                "plugin loaded",
                metadata: [
                    "plugin": "\(host.name)", "version": "\(descriptor.version)", "abi": "\(descriptor.abi)", "file": "\(path)",
                    "routes": "\(host.withState { $0.registrations.routes.count })", "load_ms": "\(String(format: "%.1f", milliseconds))",
                ])
        } catch {
            let loadError = error
            record.error = loadError
            logger.error("plugin skipped: \(loadError)", metadata: ["code": "\(loadError.code)"])
        }
        return record
    }

    /// Init, migrations, commit. On failure the plugin is rolled back or stopped, and the
    /// reason is thrown.
    private func start(_ host: LoadedPlugin) async throws(PluginLoadError) {
        let status = (try? await lifecycle.runIfActive { host.runInit() }) ?? GARRISON_ERR_UNAVAILABLE
        guard status == GARRISON_OK else {
            var reason = "plugin_init returned \(PluginABI.statusName(status))"
            if let refusal = host.withState({ $0.registrations.lastRefusal }) { reason += " after the host refused: \(refusal)" }
            reason += "; its registrations were rolled back"
            let finalReason = reason
            _ = try? await lifecycle.runIfActive { host.rollBackInit(reason: finalReason) }
            throw PluginLoadError(.initFailed, host.subject, reason)
        }
        do {
            try await host.applyMigrations()
        } catch {
            let failure = PluginLoadError(.migrationFailed, host.subject, "\(error)")
            await host.stop(reason: failure.description, afterFailedStart: true, blocking: lifecycle)
            throw failure
        }
        do {
            try host.startServing()
        } catch {
            await host.stop(reason: error.description, afterFailedStart: true, blocking: lifecycle)
            throw error
        }
    }

    /// Names and schema names of plugins that hold them (loading, running or draining).
    private func takenNames() -> [String: String] {
        var taken: [String: String] = [:]
        for record in records.values {
            guard let host = record.host else { continue }
            switch host.instance.state {
            case .disabled, .failed: continue
            default:
                taken[host.name] = host.name
                taken[host.descriptor.schema] = host.name
            }
        }
        return taken
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(PluginLoadError) -> T) async throws(PluginLoadError) -> T {
        let result: Result<T, PluginLoadError>
        do {
            result = try await lifecycle.runIfActive { () -> Result<T, PluginLoadError> in
                do throws(PluginLoadError) { return .success(try body()) } catch { return .failure(error) }
            }
        } catch {
            throw PluginLoadError(.dlopenFailed, .init(file: "?", library: "?"), "the host is shutting down")
        }
        return try result.get()
    }
}

/// `serve` refuses to start: a plugin marked `required = true` did not load.
public struct RequiredPluginFailed: Error, CustomStringConvertible {
    public let error: PluginLoadError
    public var description: String { "required plugin failed, refusing to start: \(error)" }
}
