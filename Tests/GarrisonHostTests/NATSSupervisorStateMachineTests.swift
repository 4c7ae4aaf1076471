import Testing
@testable import GarrisonHost

/// Every transition of the supervisor's life cycle, without a process.
@Suite struct NATSSupervisorStateMachineTests {
    typealias Machine = NATSSupervisor.StateMachine
    let t0 = ContinuousClock.now

    @Test func start_spawnsOnce() {
        var machine = Machine()
        #expect(machine.start() == .spawn)
        #expect(machine.start() == .none)
        #expect(machine.spawned(pid: 10, at: t0) == .none)
        #expect(machine.runningPID == 10)
    }

    @Test func exit_whileRunning_backsOffDoublingToTheCap() {
        var machine = Machine()
        machine.maxDelay = .milliseconds(350)
        _ = machine.start()
        _ = machine.spawned(pid: 1, at: t0)
        #expect(machine.exited(pid: 1, at: t0 + .seconds(1)) == .restartAfter(.milliseconds(100)))
        #expect(machine.backoffElapsed() == .spawn)
        _ = machine.spawned(pid: 2, at: t0 + .seconds(2))
        #expect(machine.exited(pid: 2, at: t0 + .seconds(3)) == .restartAfter(.milliseconds(200)))
        _ = machine.backoffElapsed()
        #expect(machine.spawnFailed() == .restartAfter(.milliseconds(350)))
        _ = machine.backoffElapsed()
        #expect(machine.spawnFailed() == .restartAfter(.milliseconds(350)))
    }

    @Test func exit_afterRunningStably_startsOverAtTheShortestDelay() {
        var machine = Machine()
        _ = machine.start()
        _ = machine.spawned(pid: 1, at: t0)
        _ = machine.exited(pid: 1, at: t0 + .seconds(1))
        _ = machine.backoffElapsed()
        _ = machine.spawned(pid: 2, at: t0 + .seconds(2))
        #expect(machine.exited(pid: 2, at: t0 + .seconds(120)) == .restartAfter(.milliseconds(100)))
    }

    @Test func exit_ofAnUnknownPid_isIgnored() {
        var machine = Machine()
        _ = machine.start()
        _ = machine.spawned(pid: 1, at: t0)
        #expect(machine.exited(pid: 99, at: t0) == .none)
        #expect(machine.runningPID == 1)
    }

    @Test func agentsChanged_reloadsOnlyARunningServer() {
        var machine = Machine()
        #expect(machine.agentsChanged() == .none)
        _ = machine.start()
        #expect(machine.agentsChanged() == .none)
        _ = machine.spawned(pid: 7, at: t0)
        #expect(machine.agentsChanged() == .reload(pid: 7))
        _ = machine.exited(pid: 7, at: t0)
        #expect(machine.agentsChanged() == .none)
    }

    @Test func stop_whileRunning_terminatesAndDoesNotRestart() {
        var machine = Machine()
        _ = machine.start()
        _ = machine.spawned(pid: 3, at: t0)
        #expect(machine.stop() == .terminate(pid: 3))
        #expect(machine.exited(pid: 3, at: t0) == .none)
        #expect(machine.state == .stopped)
        #expect(machine.backoffElapsed() == .none)
        #expect(machine.start() == .none)
    }

    @Test func stop_whileStarting_terminatesTheServerOnceSpawned() {
        var machine = Machine()
        _ = machine.start()
        #expect(machine.stop() == .none)
        #expect(machine.spawned(pid: 4, at: t0) == .terminate(pid: 4))
        #expect(machine.exited(pid: 4, at: t0) == .none)
        #expect(machine.state == .stopped)
    }

    @Test func stop_whileBackingOff_cancelsTheRestart() {
        var machine = Machine()
        _ = machine.start()
        _ = machine.spawnFailed()
        #expect(machine.stop() == .none)
        #expect(machine.backoffElapsed() == .none)
        #expect(machine.state == .stopped)
    }
}
