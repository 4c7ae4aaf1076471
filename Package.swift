// swift-tools-version:6.1
import PackageDescription

/// Linker settings every Swift plugin target needs: export only the ABI entry
/// (PluginKit's public symbols would otherwise be exported from each plugin),
/// and fail at link time, not at dlopen, on an unresolved symbol.
let swiftPluginLinkerSettings: [LinkerSetting] = [
    .unsafeFlags([
        "-Xlinker", "--version-script=\(Context.packageDirectory)/PluginAPI/PluginKit/exports.map",
        "-Xlinker", "-z", "-Xlinker", "defs",
    ]),
]

// Garrison: an RMM server that speaks the Tactical RMM agent's protocol.
// Folders show the architecture: Host/ (the minimal host), PluginAPI/ (the C ABI and
// its Swift kit), Plugins/ (features, each a dlopen-ed library), Tests/, Benchmarks/.
let package = Package(
    name: "garrison",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "garrison", targets: ["garrison"]),
        .executable(name: "garrison-bench", targets: ["garrison-bench"]),
        .executable(name: "garrison-agent-emulator", targets: ["garrison-agent-emulator"]),
        .library(name: "AgentEmulator", targets: ["AgentEmulator"]),
        .library(name: "PluginKit", targets: ["PluginKit"]),
        // A plugin's tests without a host: the fake host table and the host's way of loading a
        // library (PluginAPI/GarrisonTesting; the hello-swift example's tests use it).
        .library(name: "GarrisonTesting", targets: ["GarrisonTesting"]),
        // Each Swift plugin is a .dynamic library product with its own module name.
        .library(name: "HelloSwiftPlugin", type: .dynamic, targets: ["HelloSwiftPlugin"]),
        .library(name: "AlertChatExamplePlugin", type: .dynamic, targets: ["AlertChatExamplePlugin"]),
        .library(name: "TwoFactorPlugin", type: .dynamic, targets: ["TwoFactorPlugin"]),
        .library(name: "ChecksPlugin", type: .dynamic, targets: ["ChecksPlugin"]),
        .library(name: "ScriptingPlugin", type: .dynamic, targets: ["ScriptingPlugin"]),
        .library(name: "AlertsPlugin", type: .dynamic, targets: ["AlertsPlugin"]),
        .library(name: "AlertEmailPlugin", type: .dynamic, targets: ["AlertEmailPlugin"]),
        .library(name: "AgentActionsPlugin", type: .dynamic, targets: ["AgentActionsPlugin"]),
        .library(name: "SoftwarePlugin", type: .dynamic, targets: ["SoftwarePlugin"]),
        .library(name: "AlertSMSPlugin", type: .dynamic, targets: ["AlertSMSPlugin"]),
        .library(name: "URLActionsPlugin", type: .dynamic, targets: ["URLActionsPlugin"]),
        .library(name: "PatchingPlugin", type: .dynamic, targets: ["PatchingPlugin"]),
        .library(name: "MeshCentralPlugin", type: .dynamic, targets: ["MeshCentralPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // NIOHTTPTypes: the listener's connection deadlines read HTTPTypes request parts.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // WSClient: the MeshCentral plugin's control.ashx websocket client.
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
    ],
    targets: [
        // C libraries from Debian's -dev packages, through module maps.
        .systemLibrary(name: "CLibPQ", path: "Host/System/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Host/System/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CQREncode", path: "Plugins/TwoFactor/System/CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CCurl", path: "Plugins/AlertEmail/System/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMeshCurl", path: "Plugins/MeshCentral/System/CMeshCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Plugins/TwoFactor/System/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CNats", path: "Host/System/CNats", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        .systemLibrary(name: "CMsgPack", path: "Host/System/CMsgPack", pkgConfig: "msgpack", providers: [.apt(["libmsgpack-dev"])]),
        // bcrypt for the nats-server user passwords (libxcrypt's crypt_ra).
        .systemLibrary(name: "CCrypt", path: "Host/System/CCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),

        // The plugin ABI: one C header, nothing else.
        .target(
            name: "CGarrisonPlugin", path: "PluginAPI", exclude: ["PluginKit", "JSONText", "GarrisonTesting", "README.md"],
            publicHeadersPath: "include"),
        // JSON text read and written straight from and into bytes, for the host's and PluginKit's JSON values alike.
        .target(name: "JSONText", path: "PluginAPI/JSONText"),
        // The Swift side of the ABI: plugins written against it never see a C pointer.
        .target(name: "PluginKit", dependencies: ["CGarrisonPlugin", "JSONText"], path: "PluginAPI/PluginKit", exclude: ["exports.map"]),
        .target(name: "GarrisonTesting", dependencies: ["CGarrisonPlugin"], path: "PluginAPI/GarrisonTesting"),

        // Example plugins.
        .target(
            name: "HelloSwiftPlugin",
            dependencies: ["PluginKit"],
            path: "Plugins/Examples/hello-swift",
            exclude: ["hello-swift.toml", "Tests"],
            linkerSettings: swiftPluginLinkerSettings
        ),
        // An alert channel written from PluginAPI/README.md alone: notifications to a chat webhook.
        .target(
            name: "AlertChatExamplePlugin",
            dependencies: ["PluginKit", "CCurl"],
            path: "Plugins/Examples/alert-chat-swift",
            exclude: ["alert-chat-swift.toml"],
            linkerSettings: swiftPluginLinkerSettings
        ),

        // Two-factor sign-in: TOTP, AES-GCM at rest, QR codes (Plugins/TwoFactor).
        .target(
            name: "TwoFactorCore",
            dependencies: ["COpenSSL", "CQREncode", "CZlib"],
            path: "Plugins/TwoFactor/Core"
        ),
        .target(
            name: "TwoFactorPlugin",
            dependencies: ["PluginKit", "TwoFactorCore"],
            path: "Plugins/TwoFactor/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),

        // Checks: monitoring checks, results, history and alert events (Plugins/Checks).
        .target(
            name: "ChecksCore",
            dependencies: ["PluginKit"],
            path: "Plugins/Checks/Core"
        ),
        .target(
            name: "ChecksPlugin",
            dependencies: ["PluginKit", "ChecksCore"],
            path: "Plugins/Checks/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // Scripts, bulk actions and automated tasks (Plugins/Scripting): pure logic in Core.
        .target(name: "ScriptingCore", dependencies: ["JSONText"], path: "Plugins/Scripting/Core"),
        .target(
            name: "ScriptingPlugin",
            dependencies: ["PluginKit", "ScriptingCore"],
            path: "Plugins/Scripting/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // Operator actions that ask one agent and answer: Windows services (Plugins/AgentActions).
        .target(
            name: "AgentActionsPlugin",
            dependencies: ["PluginKit"],
            path: "Plugins/AgentActions/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // Installed software and Chocolatey installs (Plugins/Software).
        .target(
            name: "SoftwarePlugin",
            dependencies: ["PluginKit"],
            path: "Plugins/Software/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // Alerts raised and resolved from check and agent events (Plugins/Alerts).
        .target(
            name: "AlertsPlugin",
            dependencies: ["PluginKit"],
            path: "Plugins/Alerts/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // The e-mail channel for alerts: alert.notify into SMTP through libcurl (Plugins/AlertEmail).
        .target(
            name: "AlertEmailPlugin",
            dependencies: ["PluginKit", "CCurl"],
            path: "Plugins/AlertEmail/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // The SMS channel for alerts: alert.notify into Twilio's Messages API through libcurl (Plugins/AlertSMS).
        .target(
            name: "AlertSMSPlugin",
            dependencies: ["PluginKit", "CCurl"],
            path: "Plugins/AlertSMS/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // URL actions: web links, and webhooks as alert template actions through libcurl (Plugins/URLActions).
        .target(
            name: "URLActionsPlugin",
            dependencies: ["PluginKit", "CCurl"],
            path: "Plugins/URLActions/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),
        // Windows update management (Plugins/Patching): pure logic in Core.
        .target(name: "PatchingCore", dependencies: ["JSONText"], path: "Plugins/Patching/Core"),
        .target(
            name: "PatchingPlugin",
            dependencies: ["PluginKit", "PatchingCore"],
            path: "Plugins/Patching/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),

        // MeshCentral bridge: login tokens and auth cookies (OpenSSL), the control.ashx client
        // and the user/permission sync (Plugins/MeshCentral).
        .target(name: "MeshCentralCore", dependencies: ["COpenSSL", "JSONText"], path: "Plugins/MeshCentral/Core"),
        .target(
            name: "MeshCentralPlugin",
            dependencies: [
                "PluginKit", "MeshCentralCore", "CMeshCurl",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Plugins/MeshCentral/Plugin",
            linkerSettings: swiftPluginLinkerSettings
        ),

        // The agent's wire format (msgpack values, command envelopes, telemetry): the host and
        // the agent emulator share it, and the emulator links nothing else of the host.
        .target(name: "AgentWire", dependencies: ["CMsgPack", "JSONText"], path: "Host/AgentWire"),
        .target(
            name: "GarrisonHost",
            dependencies: [
                "AgentWire", "CLibPQ", "COpenSSL", "CNats", "CMsgPack", "CCrypt", "CGarrisonPlugin", "JSONText",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                // The dashboard's websockets (/ws/dashinfo/): frames only, the handshake is ours.
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Host/GarrisonHost",
            plugins: ["BuildInfoPlugin", "DashboardAssetsPlugin"]
        ),
        // The git commit of the build, for --version and /core/version/ (plugin.swift says why
        // a prebuild command).
        .plugin(name: "BuildInfoPlugin", capability: .buildTool(), path: "Tools/build-info/BuildInfoPlugin"),
        // The web dashboard's files (Host/Dashboard) embedded into the host at build time.
        .plugin(name: "DashboardAssetsPlugin", capability: .buildTool(), path: "Tools/dashboard-assets/DashboardAssetsPlugin"),
        .executableTarget(
            name: "garrison",
            dependencies: [
                "GarrisonHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Host/garrison"
        ),
        // Emulated Tactical RMM agents (REST enrollment, NATS over wss /natsws): the library
        // for benchmarks and tests, the tool for runs against any server.
        .target(
            name: "AgentEmulator",
            dependencies: [
                "AgentWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tools/agent-emulator/AgentEmulator"
        ),
        .executableTarget(
            name: "garrison-agent-emulator",
            dependencies: [
                "AgentEmulator", "AgentWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tools/agent-emulator/garrison-agent-emulator"
        ),
        .executableTarget(
            name: "garrison-bench",
            dependencies: [
                "GarrisonHost", "TwoFactorCore", "AgentEmulator", "MeshCentralCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Benchmarks/garrison-bench"
        ),
        .testTarget(
            name: "GarrisonHostTests",
            dependencies: [
                "GarrisonHost", "TwoFactorCore", "AgentEmulator", "ScriptingCore", "MeshCentralCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Tests/GarrisonHostTests"
        ),
        .testTarget(
            name: "TwoFactorTests",
            dependencies: ["TwoFactorCore"],
            path: "Tests/TwoFactorTests"
        ),
        .testTarget(
            name: "ChecksTests",
            dependencies: ["ChecksCore", "PluginKit"],
            path: "Tests/ChecksTests"
        ),
        .testTarget(
            name: "ScriptingTests",
            dependencies: ["ScriptingCore", "JSONText"],
            path: "Tests/ScriptingTests"
        ),
        .testTarget(
            name: "PatchingTests",
            dependencies: ["PatchingCore", "JSONText"],
            path: "Tests/PatchingTests"
        ),
        .testTarget(
            name: "MeshCentralTests",
            dependencies: ["MeshCentralCore", "JSONText"],
            path: "Tests/MeshCentralTests"
        ),
        .testTarget(
            name: "PluginKitTests",
            dependencies: ["PluginKit", "CGarrisonPlugin", "JSONText", "GarrisonTesting"],
            path: "Tests/PluginKitTests"
        ),
        // The hello-swift example's own tests, as a third-party author writes them: its library
        // loaded on GarrisonTesting's fake host (the build puts the library beside the tests).
        .testTarget(
            name: "HelloSwiftTests",
            dependencies: ["GarrisonTesting", "CGarrisonPlugin"],
            path: "Plugins/Examples/hello-swift/Tests"
        ),
    ]
)

// Coverage-guided fuzz targets, one per decoder of outside bytes (Fuzz/README.md). Fuzz/run.sh
// builds them with libFuzzer in its own scratch folder; a normal build makes them plain
// programs that replay the files they are given, so they always compile.
let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
    ("JSONReader", ["JSONText"]),
    ("AgentMsgPack", ["GarrisonHost"]),
    ("TOML", ["GarrisonHost"]),
    ("PluginFile", ["GarrisonHost"]),
    ("PluginDescriptor", ["GarrisonHost", "CGarrisonPlugin"]),
    ("Cron", ["GarrisonHost"]),
    ("Schedule", ["GarrisonHost"]),
    ("NATSWebSocketSniffer", ["GarrisonHost", .product(name: "NIOCore", package: "swift-nio")]),
]
package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/Support"))
package.targets += fuzzTargets.map { target in
    .executableTarget(name: "Fuzz\(target.name)", dependencies: ["FuzzSupport"] + target.dependencies, path: "Fuzz/\(target.name)")
}
