import CGarrisonPlugin
import Foundation
import Testing
@testable import GarrisonHost

/// agent_request's and agent_send's `_options`, as the host reads them from a plugin: what is
/// refused (GARRISON_ERR_INVALID: the message is nil) and what each option becomes.
@Suite struct PluginAgentMessageTests {
    static func message(_ json: String) -> PluginAgentMessage? {
        var agent = "agent-1"
        var payload = json
        return agent.withUTF8 { id in
            payload.withUTF8 { body in
                PluginAgentMessage(
                    garrison_bytes(ptr: id.baseAddress, len: id.count), garrison_bytes(ptr: body.baseAddress, len: body.count),
                    plugin: "probe")
            }
        }
    }

    @Test func aTrackedPendingActionNamesItsKeyAndCannotWaitInTheOfflineQueue() throws {
        let tracked = try #require(
            Self.message(
                #"{"func":"installwithchoco","choco_prog_name":"git","_options":{"pending_action_key":"pending_action_pk","action_type":"chocoinstall","details":{"name":"git"}}}"#
            ))
        #expect(tracked.pendingActionKey == "pending_action_pk" && tracked.actionType == "chocoinstall")
        #expect(tracked.request(timeout: nil).trackedActionKey == "pending_action_pk")
        #expect(Self.message(#"{"func":"ping","_options":{"username":"x"}}"#)?.pendingActionKey == nil)
        for refused in [
            // With the offline queue or a later time: a tracked action is sent now or not at all.
            #"{"func":"installwithchoco","_options":{"pending_action_key":"pk","queue_if_offline":true}}"#,
            #"{"func":"installwithchoco","_options":{"pending_action_key":"pk","not_before":"2030-01-01T00:00:00Z"}}"#,
            // Keys the agent reads for something else, or not a plain name.
            #"{"func":"installwithchoco","_options":{"pending_action_key":"id"}}"#,
            #"{"func":"installwithchoco","_options":{"pending_action_key":"timeout"}}"#,
            #"{"func":"installwithchoco","_options":{"pending_action_key":"Pending-PK"}}"#,
            #"{"func":"installwithchoco","_options":{"pending_action_key":""}}"#,
            #"{"func":"installwithchoco","_options":{"pending_action_key":7}}"#,
        ] {
            #expect(Self.message(refused) == nil, "\(refused)")
        }
    }

    @Test func aScheduledActionNeedsAnISO8601TimeAndAPlainName() throws {
        let scheduled = try #require(
            Self.message(#"{"func":"rebootnow","_options":{"queue_if_offline":true,"not_before":"2030-01-02T03:04:00Z","action_type":"schedreboot"}}"#))
        #expect(scheduled.notBefore == ISO8601DateFormatter().date(from: "2030-01-02T03:04:00Z") && scheduled.actionType == "schedreboot")
        for refused in [
            #"{"func":"rebootnow","_options":{"not_before":"tomorrow"}}"#,
            #"{"func":"rebootnow","_options":{"not_before":1767225600}}"#,
            #"{"func":"rebootnow","_options":{"action_type":"Sched Reboot"}}"#,
            #"{"func":"rebootnow","_options":{"details":"not an object"}}"#,
            #"{"func":"rebootnow","_options":"not an object"}"#,
        ] {
            #expect(Self.message(refused) == nil, "\(refused)")
        }
    }
}
