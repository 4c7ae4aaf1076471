import Testing
@testable import GarrisonHost

/// The lifecycle state machine alone: no library, no database, every transition.
@Suite struct PluginsInstanceTests {
    @Test func startsLoadingAndAcceptsOnlyRegistrations() {
        var instance = PluginInstance()
        #expect(instance.state == .loading)
        #expect(instance.acceptsRegistrations)
        #expect(!instance.acceptsServiceCalls)
        do { let result = instance.enter(.dispatch); #expect(!result) }
        do { let result = instance.enter(.completion); #expect(!result) }
    }

    @Test func initSuccessMigratesThenServes() {
        var instance = PluginInstance()
        instance.initFinished(succeeded: true)
        #expect(instance.state == .starting)
        #expect(!instance.acceptsRegistrations)
        #expect(instance.acceptsServiceCalls)
        do { let result = instance.enter(.dispatch); #expect(!result, "nothing is dispatched before migrations") }
        do { let result = instance.enter(.completion); #expect(result) }
        do { let result = instance.exit(); #expect(result == .none) }
        instance.startedServing()
        #expect(instance.isServing)
        do { let result = instance.enter(.dispatch); #expect(result) }
        #expect(instance.inFlight == 1)
        do { let result = instance.exit(); #expect(result == .none) }
    }

    @Test func initFailureEndsFailedWithTheReason() {
        var instance = PluginInstance()
        instance.initFinished(succeeded: false, reason: "plugin_init returned GARRISON_ERR_INTERNAL")
        #expect(instance.state == .failed)
        #expect(instance.reason == "plugin_init returned GARRISON_ERR_INTERNAL")
        #expect(!instance.acceptsServiceCalls)
        do { let result = instance.beginDisable(reason: "x"); #expect(result == .none) }
    }

    @Test func disableWithNothingInFlightNeedsNoWait() {
        var instance = Self.running()
        do { let result = instance.beginDisable(reason: "enabled = false"); #expect(result == .drain(needsWait: false)) }
        #expect(instance.state == .draining)
        do { let result = instance.enter(.dispatch); #expect(!result, "no new calls while draining") }
        #expect(instance.acceptsServiceCalls, "in-flight calls may still use services")
        instance.beginStopping()
        #expect(!instance.acceptsServiceCalls)
        do { let result = instance.enter(.completion); #expect(result, "cancelled done callbacks still run while stopping") }
        do { let result = instance.exit(); #expect(result == .drained) }
        instance.stopped()
        #expect(instance.state == .disabled)
        #expect(instance.reason == "enabled = false")
        do { let result = instance.enter(.completion); #expect(!result) }
    }

    @Test func lastInFlightCallWakesTheDrain() {
        var instance = Self.running()
        do { let result = instance.enter(.dispatch); #expect(result) }
        do { let result = instance.enter(.dispatch); #expect(result) }
        do { let result = instance.beginDisable(reason: "file removed"); #expect(result == .drain(needsWait: true)) }
        do { let result = instance.exit(); #expect(result == .none) }
        do { let result = instance.exit(); #expect(result == .drained) }
    }

    @Test func secondDisableIsIgnored() {
        var instance = Self.running()
        _ = instance.beginDisable(reason: "first")
        do { let result = instance.beginDisable(reason: "second"); #expect(result == .none) }
        #expect(instance.reason == "first")
    }

    @Test func migrationFailureStopsAndEndsFailed() {
        var instance = PluginInstance()
        instance.initFinished(succeeded: true)
        do { let result = instance.startFailed(reason: "migration plugin:x #1 failed"); #expect(result == .drain(needsWait: false)) }
        instance.beginStopping()
        instance.stopped()
        #expect(instance.state == .failed)
        #expect(instance.reason == "migration plugin:x #1 failed")
    }

    private static func running() -> PluginInstance {
        var instance = PluginInstance()
        instance.initFinished(succeeded: true)
        instance.startedServing()
        return instance
    }
}
