import ChecksCore
import Foundation
import Testing

/// Each check type's result evaluated as the table of docs/agent-protocol.md §7.6 says.
@Suite struct ResultEvaluationTests {
    static func check(_ type: CheckType, warning: Int = 0, error: Int = 0, _ edit: (inout CheckDefinition) -> Void = { _ in })
        -> CheckDefinition
    {
        var c = CheckDefinition(id: 1, checkType: type)
        c.warning_threshold = warning
        c.error_threshold = error
        c.disk = "C:"
        edit(&c)
        return c
    }

    static func eval(_ c: CheckDefinition, _ body: String, samples: [Int] = []) throws -> Evaluation {
        try ResultEvaluator.evaluate(c, body: Data(body.utf8), samples: samples)
    }

    struct DiskRow: Sendable, CustomTestStringConvertible {
        let used: Double, warning: Int, error: Int, status: CheckStatus, severity: Severity?, free: Int
        var testDescription: String { "used \(used) w\(warning) e\(error)" }
    }

    @Test(arguments: [
        DiskRow(used: 50, warning: 25, error: 10, status: .passing, severity: nil, free: 50),
        DiskRow(used: 80, warning: 25, error: 10, status: .failing, severity: .warning, free: 20),
        DiskRow(used: 95, warning: 25, error: 10, status: .failing, severity: .error, free: 5),
        DiskRow(used: 75, warning: 25, error: 10, status: .passing, severity: nil, free: 25),  // free == warning: not below
        DiskRow(used: 89.5, warning: 0, error: 11, status: .failing, severity: .error, free: 10),  // round half to even: 90
        DiskRow(used: 88.5, warning: 0, error: 11, status: .passing, severity: nil, free: 12),  // 88
        DiskRow(used: 99, warning: 0, error: 0, status: .passing, severity: nil, free: 1),  // both disabled
        DiskRow(used: 85, warning: 20, error: 0, status: .failing, severity: .warning, free: 15),
    ])
    func diskspace_freePercentAgainstThresholds(_ row: DiskRow) throws {
        let e = try Self.eval(
            Self.check(.diskspace, warning: row.warning, error: row.error),
            #"{"id":1,"agent_id":"a","percent_used":\#(row.used),"exists":true,"more_info":"Total: 100 GB, Free: x"}"#)
        #expect(e.status == row.status && e.severity == row.severity && e.historyY == row.free)
        #expect(e.moreInfo == "Total: 100 GB, Free: x")
    }

    @Test func diskspace_missingDiskFailsWithError() throws {
        let e = try Self.eval(
            Self.check(.diskspace, warning: 25, error: 10),
            #"{"id":1,"agent_id":"a","percent_used":0,"exists":false,"more_info":"Disk C: does not exist"}"#)
        #expect(e.status == .failing && e.severity == .error && e.moreInfo == "Disk C: does not exist")
    }

    @Test(arguments: [CheckType.cpuload, .memory])
    func cpuAndMemory_averageTheLast15Samples(_ type: CheckType) throws {
        let c = Self.check(type, warning: 70, error: 90)
        // Fourteen 50s and one 100: mean 53 -> passing although the sample is 100.
        var e = try Self.eval(c, #"{"id":1,"agent_id":"a","percent":100}"#, samples: Array(repeating: 50, count: 14))
        #expect(e.status == .passing && e.samples?.count == 15 && e.historyY == 100)
        // Window slides: 15 samples kept, the oldest dropped.
        e = try Self.eval(c, #"{"id":1,"agent_id":"a","percent":95}"#, samples: Array(repeating: 80, count: 15))
        #expect(e.samples == Array(repeating: 80, count: 14) + [95])
        #expect(e.status == .failing && e.severity == .warning)  // int(mean) = 81
        e = try Self.eval(c, #"{"id":1,"agent_id":"a","percent":95}"#, samples: [92, 93])
        #expect(e.status == .failing && e.severity == .error)
        // Mean 70.9 truncates to 70: not above 70.
        e = try Self.eval(
            c, #"{"id":1,"agent_id":"a","percent":71}"#, samples: Array(repeating: 71, count: 8) + Array(repeating: 70, count: 6))
        #expect(e.status == .passing)
        e = try Self.eval(c, #"{"id":1,"agent_id":"a","percent":71}"#)
        #expect(e.status == .failing && e.severity == .warning)
    }

    struct ScriptRow: Sendable, CustomTestStringConvertible {
        let retcode: Int, status: CheckStatus, severity: Severity?
        var testDescription: String { "retcode \(retcode)" }
    }

    @Test(arguments: [
        ScriptRow(retcode: 0, status: .passing, severity: nil),
        ScriptRow(retcode: 1, status: .failing, severity: .error),
        ScriptRow(retcode: 3, status: .failing, severity: .info),
        ScriptRow(retcode: 4, status: .failing, severity: .warning),
        ScriptRow(retcode: 5, status: .passing, severity: nil),
        ScriptRow(retcode: 98, status: .failing, severity: .error),
    ])
    func script_returnCodeClasses(_ row: ScriptRow) throws {
        let c = Self.check(.script) {
            $0.info_return_codes = [3]; $0.warning_return_codes = [4]; $0.success_return_codes = [5]
        }
        let e = try Self.eval(c, #"{"id":1,"agent_id":"a","stdout":"out","stderr":"","retcode":\#(row.retcode),"runtime":1.23456}"#)
        #expect(e.status == row.status && e.severity == row.severity)
        #expect(e.executionTime == "1.2346" && e.retcode == row.retcode && e.stdout == "out")
        #expect(e.historyY == (row.status == .failing ? 1 : 0))
    }

    @Test(arguments: [CheckType.ping, .winsvc])
    func pingAndService_takeTheStatusVerbatim(_ type: CheckType) throws {
        let c = Self.check(type) { $0.alert_severity = .error }
        let key = type == .ping ? "output" : "more_info"
        var e = try Self.eval(c, #"{"id":1,"agent_id":"a","status":"failing","\#(key)":"down"}"#)
        #expect(e.status == .failing && e.severity == .error && e.moreInfo == "down")
        e = try Self.eval(c, #"{"id":1,"agent_id":"a","status":"passing","\#(key)":"up"}"#)
        #expect(e.status == .passing && e.severity == nil)
        #expect(throws: ResultError.self) { try Self.eval(c, #"{"id":1,"agent_id":"a","status":"weird","\#(key)":""}"#) }
    }

    struct EventRow: Sendable, CustomTestStringConvertible {
        let when: EventLogFailWhen, events: Int, needed: Int, status: CheckStatus
        var testDescription: String { "\(when) \(events)/\(needed)" }
    }

    @Test(arguments: [
        EventRow(when: .contains, events: 0, needed: 1, status: .passing),
        EventRow(when: .contains, events: 1, needed: 1, status: .failing),
        EventRow(when: .contains, events: 2, needed: 3, status: .passing),
        EventRow(when: .contains, events: 3, needed: 3, status: .failing),
        EventRow(when: .not_contains, events: 0, needed: 1, status: .failing),
        EventRow(when: .not_contains, events: 2, needed: 3, status: .failing),
        EventRow(when: .not_contains, events: 3, needed: 3, status: .passing),
    ])
    func eventlog_containsAndNotContainsWithCounts(_ row: EventRow) throws {
        let c = Self.check(.eventlog) {
            $0.fail_when = row.when; $0.number_of_events_b4_alert = row.needed
        }
        let entry = #"{"source":"s","eventType":"ERROR","eventID":7,"message":"m","time":"t","uid":1}"#
        let log = Array(repeating: entry, count: row.events).joined(separator: ",")
        let e = try Self.eval(c, #"{"id":1,"agent_id":"a","log":[\#(log)]}"#)
        #expect(e.status == row.status)
        #expect(e.extraDetails?.text.contains("\"log\"") == true)
        #expect(e.historyResults == RawJSON("\"Events Found:\(row.events)\""))
    }

    @Test(arguments: [
        (CheckType.diskspace, #"{"id":1,"agent_id":"a","percent_used":"50","exists":true}"#),
        (CheckType.cpuload, #"{"id":1,"agent_id":"a"}"#),
        (CheckType.memory, #"{"id":1,"agent_id":"a","percent":"high"}"#),
        (CheckType.script, #"{"id":1,"agent_id":"a","stdout":"","stderr":"","retcode":"0","runtime":0}"#),
        (CheckType.ping, #"{"id":1,"agent_id":"a","status":1}"#),
        (CheckType.eventlog, #"{"id":1,"agent_id":"a","log":"none"}"#),
        (CheckType.cpuload, "not json"),
    ])
    func wrongTypes_areRefused(_ type: CheckType, _ body: String) {
        #expect(throws: ResultError.self) { try Self.eval(Self.check(type, warning: 1, error: 2), body) }
    }
}
