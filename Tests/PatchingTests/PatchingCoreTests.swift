import Foundation
import JSONText
import PatchingCore
import Testing

/// PatchingCore: the pure rules of Windows update management (Plugins/Patching/README.md).
@Suite struct PatchingCoreTests {
    static func parse(_ text: String) -> JSON { (try? JSONReader.parse(Array(text.utf8), as: JSON.self)) ?? .null }

    static func refusal(_ body: () throws(PatchInputError) -> some Any) -> String? {
        do { _ = try body(); return nil } catch { return error.detail }
    }

    @Test func wuaList_refusesBadItemsNamingTheField_andReadsGoodOnes() throws {
        let good = Self.parse(
            #"{"agent_id":"a","wua_updates":[{"guid":"g1","title":"t","kb_article_ids":["5030211"],"severity":"Critical","installed":false,"downloaded":true,"revision_number":201,"categories":["Security Updates"]}]}"#
        )
        let list = try WUAPackage.list(from: good)
        #expect(list.count == 1 && list[0].kb == "KB5030211" && list[0].downloaded && list[0].revision_number == 201)
        let cases: [(String, String)] = [
            (#"{"wua_updates":[]}"#, "Empty payload"),
            (#"{}"#, "wua_updates is required"),
            (#"{"wua_updates":{"guid":"x"}}"#, "wua_updates must be a list"),
            (#"{"wua_updates":[{"title":"no guid"}]}"#, "wua_updates[0].guid is required"),
            (#"{"wua_updates":[{"guid":"a"},{"guid":5}]}"#, "wua_updates[1].guid must be a string"),
            (#"{"wua_updates":[{"guid":""}]}"#, "wua_updates[0].guid must not be empty"),
            (#"{"wua_updates":[{"guid":"a","installed":"yes"}]}"#, "wua_updates[0].installed must be true or false"),
            (#"{"wua_updates":[{"guid":"a","kb_article_ids":[1]}]}"#, "wua_updates[0].kb_article_ids must be a list of strings"),
            (#"{"wua_updates":[{"guid":"a","revision_number":1.5}]}"#, "wua_updates[0].revision_number must be a whole number"),
            (#"{"wua_updates":[{"guid":"a","revision_number":99999999999}]}"#, "wua_updates[0].revision_number must be a whole number"),
            (#"{"wua_updates":["x"]}"#, "wua_updates[0] must be an object"),
            (#"[1]"#, "The body must be a JSON object"),
        ]
        for (body, prefix) in cases {
            let detail = Self.refusal { () throws(PatchInputError) in try WUAPackage.list(from: Self.parse(body)) }
            #expect(detail?.hasPrefix(prefix) == true, "\(body): \(detail ?? "accepted")")
        }
        let many = JSON.object(["wua_updates": .array(Array(repeating: ["guid": "x"], count: WUALimits.maxItems + 1))])
        #expect(Self.refusal { () throws(PatchInputError) in try WUAPackage.list(from: many) }?.contains("at most") == true)
    }

    @Test func agentBodies() throws {
        #expect(try AgentBodies.result(Self.parse(#"{"guid":"g","success":true}"#)) == ("g", true))
        #expect(Self.refusal { () throws(PatchInputError) in try AgentBodies.result(Self.parse(#"{"guid":"g"}"#)) }?.hasPrefix("success") == true)
        #expect(Self.refusal { () throws(PatchInputError) in try AgentBodies.result(Self.parse(#"{"success":true}"#)) }?.hasPrefix("guid") == true)
        #expect(try AgentBodies.needsReboot(Self.parse(#"{"needs_reboot":false}"#)) == false)
        #expect(
            Self.refusal { () throws(PatchInputError) in try AgentBodies.needsReboot(Self.parse(#"{"needs_reboot":1}"#)) }?.hasPrefix(
                "needs_reboot") == true)
        #expect(Self.refusal { () throws(PatchInputError) in try AgentBodies.claimedAgent(Self.parse(#"{"agent_id":3}"#)) } != nil)
    }

    @Test func policyPatch_validatesEachField() throws {
        let ok = try PolicyPatch.parse(Self.parse(#"{"critical":"approve","run_time_hour":23,"run_time_days":[6,0,6],"email_if_fail":true}"#))
        #expect(ok.values["critical"] == "approve" && ok.values["run_time_hour"] == 23 && ok.values["run_time_days"] == [0, 6])
        let cases: [(String, String)] = [
            (#"{"critical":"yes"}"#, "critical must be one of"),
            (#"{"other":5}"#, "other must be one of"),
            (#"{"run_time_hour":24}"#, "run_time_hour must be a whole number from 0 to 23"),
            (#"{"run_time_hour":-1}"#, "run_time_hour must be"),
            (#"{"run_time_day":0}"#, "run_time_day must be"),
            (#"{"run_time_days":[7]}"#, "run_time_days must be"),
            (#"{"run_time_frequency":"weekly"}"#, "run_time_frequency must be one of"),
            (#"{"reboot_after_install":"sometimes"}"#, "reboot_after_install must be one of"),
            (#"{"reprocess_failed":"true"}"#, "reprocess_failed must be true or false"),
        ]
        for (body, prefix) in cases {
            let detail = Self.refusal { () throws(PatchInputError) in try PolicyPatch.parse(Self.parse(body)) }
            #expect(detail?.hasPrefix(prefix) == true, "\(body): \(detail ?? "accepted")")
        }
    }

    @Test func effectivePolicy_layersTheAgentsNonInheritValuesOverTheFirstPolicy() {
        let own = PatchPolicy(
            id: 1, critical: "ignore", run_time_hour: 9, run_time_frequency: "daily", run_time_days: [1], run_time_day: 20,
            reboot_after_install: "inherit")
        let site = PatchPolicy(
            id: 2, policy: 7, critical: "approve", important: "approve", run_time_hour: 3, run_time_frequency: "monthly", run_time_day: 15,
            reboot_after_install: "always")
        let client = PatchPolicy(id: 3, policy: 8, low: "approve")
        #expect(PatchPolicy.effective(agent: own, policies: []) == own)
        let merged = PatchPolicy.effective(agent: own, policies: [site, client])
        #expect(merged.critical == "ignore" && merged.important == "approve" && merged.low == "inherit")
        #expect(merged.run_time_frequency == "daily" && merged.run_time_hour == 9 && merged.run_time_days == [1])
        // The day of month is not copied with the frequency (as in Tactical RMM).
        #expect(merged.run_time_day == 15)
        #expect(merged.reboot_after_install == "always" && merged.id == 2)
        #expect(merged.approvedSeverities == ["Important"])
        #expect(PatchPolicy(other: "approve").approvedSeverities == [""])
    }

    @Test func rebootRules() {
        #expect(PatchPolicy(reboot_after_install: "always").rebootsAfterInstall(needsReboot: false))
        #expect(PatchPolicy(reboot_after_install: "required").rebootsAfterInstall(needsReboot: true))
        #expect(!PatchPolicy(reboot_after_install: "required").rebootsAfterInstall(needsReboot: false))
        #expect(!PatchPolicy(reboot_after_install: "never").rebootsAfterInstall(needsReboot: true))
        #expect(!PatchPolicy(reboot_after_install: "inherit").rebootsAfterInstall(needsReboot: true))
    }

    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func installSchedule_dailyMonthlyAndOncePerLocalDay() {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        // Saturday 2026-12-05 02:30 UTC = 03:30 in Berlin (weekday 5).
        let now = Self.date("2026-12-05T02:30:00Z")
        let daily = PatchPolicy(run_time_hour: 3, run_time_frequency: "daily", run_time_days: [5, 6])
        #expect(InstallSchedule.isDue(daily, now: now, zone: berlin, lastInstalled: nil))
        #expect(!InstallSchedule.isDue(daily, now: now, zone: TimeZone(identifier: "UTC")!, lastInstalled: nil))
        // Installed earlier the same local day: not again; the local day before: yes.
        #expect(!InstallSchedule.isDue(daily, now: now, zone: berlin, lastInstalled: Self.date("2026-12-04T23:30:00Z")))
        #expect(InstallSchedule.isDue(daily, now: now, zone: berlin, lastInstalled: Self.date("2026-12-04T22:30:00Z")))
        #expect(!InstallSchedule.isDue(PatchPolicy(run_time_hour: 3, run_time_frequency: "daily"), now: now, zone: berlin, lastInstalled: nil))
        #expect(!InstallSchedule.isDue(PatchPolicy(run_time_hour: 3), now: now, zone: berlin, lastInstalled: nil))
        let monthly = PatchPolicy(run_time_hour: 3, run_time_frequency: "monthly", run_time_day: 5)
        #expect(InstallSchedule.isDue(monthly, now: now, zone: berlin, lastInstalled: nil))
        // The clamp as Tactical RMM has it: February 28; March, June, September, November 30.
        #expect(InstallSchedule.monthlyDay(31, month: 2) == 28)
        #expect(InstallSchedule.monthlyDay(31, month: 3) == 30)
        #expect(InstallSchedule.monthlyDay(31, month: 4) == 31)
        #expect(InstallSchedule.monthlyDay(29, month: 6) == 30)
        #expect(InstallSchedule.monthlyDay(12, month: 2) == 12)
        let endOfMarch = PatchPolicy(run_time_hour: 0, run_time_frequency: "monthly", run_time_day: 31)
        #expect(InstallSchedule.isDue(endOfMarch, now: Self.date("2026-03-30T00:10:00Z"), zone: TimeZone(identifier: "UTC")!, lastInstalled: nil))
    }

    @Test func superseded_keepsTheNewestVersionOfEachKB() {
        let rows = [
            Superseded.Row(id: 1, kb: "KB2267602", title: "Defender update - KB2267602 (Version 1.381.2140.0)"),
            Superseded.Row(id: 2, kb: "KB2267602", title: "Defender update - KB2267602 (Version 1.381.10.0)"),
            Superseded.Row(id: 3, kb: "KB2267602", title: "Defender update - KB2267602 (version 1.381.2141.0)"),
            Superseded.Row(id: 4, kb: "KB1", title: "Something (Versão 2.0)"),
            Superseded.Row(id: 5, kb: "KB1", title: "Something (Versão 10.0)"),
            Superseded.Row(id: 6, kb: "KB9", title: "No version here"),
            Superseded.Row(id: 7, kb: "KB9", title: "No version here either"),
            Superseded.Row(id: 8, kb: "KB5", title: "Single (Version 1.0)"),
        ]
        #expect(Set(Superseded.toDelete(rows)) == [1, 2, 4])
        #expect(Superseded.version(in: "x (VERSION 1.2.3)") == "1.2.3")
        #expect(Superseded.looseLess("1.381.10.0", "1.381.2140.0"))
        #expect(!Superseded.looseLess("10.0", "2.0"))
    }
}

/// Linux packages through runscript: the scan script run for real on this machine (apt works
/// offline against its local lists), its output parsed; the install script names exactly the
/// approved packages.
@Suite struct LinuxPackagesTests {
    static func run(_ script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func theScanScriptRunsHereAndItsOutputParses() throws {
        let output = try Self.run(LinuxPackages.scanScript)
        let scan = LinuxPackages.parse(output)
        #expect(output.hasPrefix("GARRISON-PATCH-SCAN 1"))
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get") else { return }
        #expect(scan.manager == "apt")
        #expect(scan.rebootRequired == FileManager.default.fileExists(atPath: "/var/run/reboot-required"))
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("Inst ") }
        #expect(scan.upgrades.count == lines.count, "every Inst line parsed")
        for upgrade in scan.upgrades {
            #expect(!upgrade.name.isEmpty && !upgrade.candidate.isEmpty && !upgrade.origins.isEmpty, "\(upgrade)")
            #expect(LinuxPackages.isPackageName(upgrade.name))
            let row = upgrade.package()
            #expect(row.guid == "apt:\(upgrade.name)" && row.categories.first == "apt")
        }
    }

    @Test func aptAndDnfLines() {
        let scan = LinuxPackages.parse(
            """
            GARRISON-PATCH-SCAN 1
            OS debian 12
            MANAGER apt
            REBOOT yes
            Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])
            Inst bash [5.2.15-2+b8] (5.2.15-2+b13 Debian:12.15/oldstable [amd64])
            Inst linux-image-6.1.0-40-amd64 (6.1.153-1 Debian-Security:12/oldstable-security [amd64])
            Inst liblzma-dev [5.4.1-1] (5.4.1-1+deb12u2 Debian-Security:12/oldstable-security [amd64]) []
            """)
        #expect(scan.os == "debian 12" && scan.manager == "apt" && scan.rebootRequired)
        #expect(scan.upgrades.map(\.name) == ["libgcrypt20", "bash", "linux-image-6.1.0-40-amd64", "liblzma-dev"])
        #expect(scan.upgrades[0].security && scan.upgrades[0].installed == "1.10.1-3" && scan.upgrades[0].candidate == "1.10.1-3+deb12u1")
        #expect(!scan.upgrades[1].security && scan.upgrades[1].package().severity == "")
        #expect(scan.upgrades[2].installed == "" && scan.upgrades[2].package().severity == "Important")
        // dnf: a committed output of the script on Rocky Linux 9.
        let dnf = LinuxPackages.parse(
            """
            GARRISON-PATCH-SCAN 1
            OS rocky 9.4
            MANAGER dnf
            REBOOT no
            SEC openssl-1:3.0.7-28.el9_4.x86_64
            UPD openssl.x86_64 1:3.0.7-28.el9_4 baseos
            UPD vim-minimal.x86_64 2:8.2.2637-21.el9 baseos
            HAVE openssl.x86_64 3.0.7-27.el9
            HAVE vim-minimal.x86_64 8.2.2637-20.el9_1
            """)
        #expect(dnf.manager == "dnf" && !dnf.rebootRequired)
        #expect(dnf.upgrades.map(\.guid) == ["dnf:openssl", "dnf:vim-minimal"])
        #expect(dnf.upgrades[0].security && !dnf.upgrades[1].security && dnf.upgrades[0].installed == "3.0.7-27.el9")
    }

    @Test func theInstallScriptUpgradesOnlyTheApprovedPackages() throws {
        let script = LinuxPackages.installScript(manager: "apt", packages: ["libgcrypt20", "bash", "x; rm -rf /", "$(reboot)"])
        let commands = script.split(separator: "\n").filter { $0.contains("apt-get") }
        #expect(commands.count == 2)
        #expect(commands[0].contains("apt-get install -y --only-upgrade") && commands[0].contains("'libgcrypt20'"))
        #expect(commands[1].contains("'bash'"))
        #expect(!script.contains("rm -rf") && !script.contains("reboot)") && !script.contains("dist-upgrade") && !script.contains(" upgrade -y"))
        let parsed = LinuxPackages.parseInstall("RESULT libgcrypt20 ok\nRESULT bash failed\nREBOOT yes\n")
        #expect(parsed.results == ["libgcrypt20": true, "bash": false] && parsed.rebootRequired)
        #expect(LinuxPackages.installScript(manager: "dnf", packages: ["openssl"]).contains("dnf -y upgrade 'openssl'"))
    }
}
