import Foundation
import Testing
@testable import GarrisonHost

extension PluginFolder {
    /// A plugins.d with every shipped plugin (Plugins/, not the examples), each `required`,
    /// copied from next to this test bundle. Two-factor is not required, so callers sign in
    /// with a password alone (unless `twoFactorRequired`); `twoFactor` adds settings to its
    /// section; `twoFactorKey` replaces the random key (a database made with that key).
    static func shippedPlugins(twoFactor extra: String = "", twoFactorKey: String? = nil, twoFactorRequired: Bool = false) throws
        -> PluginFolder
    {
        let folder = try PluginFolder()
        let key = twoFactorKey ?? Data(Crypto.randomBytes(32)).base64EncodedString()
        let plugins: [(file: String, library: String, settings: String)] = [
            (
                "30-twofactor.toml", "libTwoFactorPlugin.so",
                "required = \(twoFactorRequired)\nsecret_key = \"\(key)\"" + (extra.isEmpty ? "" : "\n" + extra)
            ),
            // No agent cache: the checks an agent is sent follow each change at once.
            ("40-checks.toml", "libChecksPlugin.so", "agent_cache_seconds = 0"),
            ("40-scripting.toml", "libScriptingPlugin.so", ""),
            ("45-agent-actions.toml", "libAgentActionsPlugin.so", ""),
            ("46-software.toml", "libSoftwarePlugin.so", ""),
            ("60-alerts.toml", "libAlertsPlugin.so", ""),
            ("61-alert-email.toml", "libAlertEmailPlugin.so", ""),
            ("62-alert-sms.toml", "libAlertSMSPlugin.so", ""),
            // Webhooks reach only loopback in tests (the schema fuzzer sends any pattern).
            ("63-urlactions.toml", "libURLActionsPlugin.so", "allowed_hosts = \"127.0.0.1\"\ntimeout_seconds = 2"),
            ("70-winupdate.toml", "libPatchingPlugin.so", ""),
            // MeshCentral on a loopback port nothing listens on: whatever mesh_site a test sets,
            // the bridge never reaches beyond this machine.
            ("70-meshcentral.toml", "libMeshCentralPlugin.so", "control_url = \"ws://127.0.0.1:9\"\ninstaller_url = \"http://127.0.0.1:9\""),
        ]
        for plugin in plugins {
            let copy = try folder.copyBuilt(plugin.library)
            try folder.write(plugin.file, "library = \"\(copy)\"\nenabled = true\nrequired = true\n\n[settings]\n\(plugin.settings)\n")
        }
        return folder
    }
}
