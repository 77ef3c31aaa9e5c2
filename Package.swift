// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "campaign-as-code",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "campaign", targets: ["CampaignCLI"]),
        .executable(name: "campaign-sandbox", targets: ["CampaignSandbox"]),
        .executable(name: "campaign-client-bench", targets: ["ClientBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // libyaml, from Debian's libyaml-dev. Only YAMLFrontEnd imports it.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // Locations, diagnostics and their renderers (text, GitHub annotations, JSON).
        .target(name: "Diagnostics", dependencies: ["JSON"]),
        // An ordered JSON value and a deterministic serializer.
        .target(name: "JSON"),
        // libyaml events -> a document tree where every node carries its position.
        .target(name: "YAMLFrontEnd", dependencies: ["CYAML", "Diagnostics"]),
        // The typed campaign model: what a validated campaign means, provider-neutral.
        .target(name: "CampaignModel", dependencies: ["Diagnostics"]),
        // The campaign language: YAML documents -> validated campaigns, with diagnostics. Pure.
        .target(name: "CampaignLanguage", dependencies: ["CampaignModel", "Diagnostics", "JSON", "YAMLFrontEnd"]),
        // Campaigns -> CleverTap request bodies. Pure.
        .target(name: "CleverTapCompiler", dependencies: ["CampaignModel", "JSON"]),
        // Data-parallel map over arrays on all cores (files, campaigns, plan actions).
        .target(name: "Parallel"),
        // The file-system edge: finding projects and files, reading them, fanning out over cores.
        .target(name: "Workspace", dependencies: ["CampaignLanguage", "CampaignModel", "Diagnostics", "Parallel", "YAMLFrontEnd"]),
        // The sandbox's one ledger, shared by every provider's half.
        .target(name: "SandboxLedger", dependencies: ["JSON"]),
        // A CleverTap look-alike for tests, demos and benchmarks: documented validation, rate limits, faults.
        .target(
            name: "CleverTapSandbox",
            dependencies: [
                "JSON", "SandboxLedger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The CleverPush half of the sandbox: its routes, subscriptions, tags, notifications, rate limit and faults.
        .target(
            name: "CleverPushSandbox",
            dependencies: [
                "JSON", "SandboxLedger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PersonaClick half of the sandbox: per-contact subscription state, the change feed (with changes made "at
        // the source"), a ledger of every request, a rate limit and faults.
        .target(
            name: "PersonaClickSandbox",
            dependencies: [
                "SandboxLedger",
                "JSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "CampaignSandbox",
            dependencies: [
                "CleverTapSandbox",
                "CleverPushSandbox",
                "SandboxLedger",
                "PersonaClickSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The CleverTap API client: pacing, retries, and "outcome unknown" for requests that may have landed.
        .target(
            name: "CleverTapClient",
            dependencies: [
                "HTTPExchange", "JSON", "RequestPacing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The CleverPush API client: the raw private key in `Authorization`, retries of idempotent calls, 429 waits,
        // bounded concurrency and a rate cap; a notification send is never repeated blindly. Its paths are one table.
        .target(
            name: "CleverPushClient",
            dependencies: [
                "HTTPExchange", "JSON", "RequestPacing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The PersonaClick subscriptions API client: the shop secret in the JSON body of a POST and in `X-Shop-Secret`
        // of a GET (never in a URL), both error shapes, retries of idempotent calls, 429 waits, bounded concurrency and a
        // rate cap; a `hard_bounced` callback is never repeated blindly.
        .target(
            name: "PersonaClickClient",
            dependencies: [
                "HTTPExchange", "JSON", "RequestPacing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Pacing shared by the API clients: evenly spaced request starts and a bounded number in flight.
        .target(name: "RequestPacing"),
        // What a failed HTTP exchange means for its request (never sent, refused locally, maybe sent), the retry rules
        // of a call, and the HTTP client itself: one meaning for every API client.
        .target(
            name: "HTTPExchange",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Plan/apply core, provider-neutral and pure: state model, planner, the apply state machine, plan rendering.
        .target(name: "CampaignEngine", dependencies: ["JSON", "Parallel"]),
        // The neutral deploy edge: state files, locks and the journal, saved plans, applying and reconciling through
        // providers (the ProviderRuntime protocol). Names no provider.
        .target(
            name: "CampaignDeploy",
            dependencies: [
                "CampaignEngine", "CampaignLanguage", "JSON", "Parallel", "Workspace",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The PostgreSQL state backend: a workspace per environment, records and delivered batches as rows, an
        // advisory lock per workspace, every write fenced on the workspace's serial. The only module that talks SQL.
        .target(
            name: "PostgresState",
            dependencies: [
                "CampaignDeploy", "CampaignEngine", "JSON",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The CleverTap provider: binding campaigns to resources, its kinds' rules, and the client behind the runtime.
        .target(
            name: "CleverTapProvider",
            dependencies: ["CampaignDeploy", "CampaignEngine", "CampaignLanguage", "CampaignModel", "CleverTapClient", "CleverTapCompiler", "JSON", "Parallel"]
        ),
        // The CleverPush provider: binding its resources, its kinds' rules, and the client behind the runtime.
        .target(
            name: "CleverPushProvider",
            dependencies: ["CampaignDeploy", "CampaignEngine", "CampaignLanguage", "CampaignModel", "CleverPushClient", "JSON"]
        ),
        // The PersonaClick provider: binding its resources, its kinds' rules, the consent rule, and the client behind
        // the runtime.
        .target(
            name: "PersonaClickProvider",
            dependencies: ["CampaignDeploy", "CampaignEngine", "CampaignLanguage", "CampaignModel", "PersonaClickClient", "JSON"]
        ),
        // `make bench`: drives the client against a running sandbox.
        .executableTarget(
            name: "ClientBench",
            dependencies: ["CleverTapClient", "CleverTapCompiler", "CampaignModel", "JSON"]
        ),
        // The `campaign` commands as a library: argument parsing, the deploy session, orchestration, output.
        .target(
            name: "CampaignCommands",
            dependencies: [
                "Diagnostics",
                "YAMLFrontEnd",
                "Workspace",
                "Parallel",
                "CampaignLanguage",
                "CampaignModel",
                "CleverTapCompiler",
                "CleverTapClient",
                "CleverTapProvider",
                "CleverPushClient",
                "CleverPushProvider",
                "PersonaClickClient",
                "PersonaClickProvider",
                "CampaignEngine",
                "CampaignDeploy",
                "PostgresState",
                "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `campaign` executable: a few lines calling CampaignCommands.
        .executableTarget(name: "CampaignCLI", dependencies: ["CampaignCommands"]),
        // libFuzzer entry point for the YAML front end (`make fuzz`); without -DFUZZING it replays files.
        .executableTarget(name: "YAMLFuzz", dependencies: ["YAMLFrontEnd"]),
        .testTarget(
            name: "CampaignTests",
            dependencies: [
                "Diagnostics", "JSON", "YAMLFrontEnd", "Workspace", "CampaignModel", "CampaignLanguage", "CleverTapCompiler",
                "CampaignCLI", "CampaignCommands", "CleverTapSandbox", "CleverTapClient", "CampaignSandbox", "CampaignEngine", "CampaignDeploy",
                "CleverTapProvider", "PostgresState", "CleverPushClient", "CleverPushProvider", "CleverPushSandbox", "SandboxLedger",
                "PersonaClickClient", "PersonaClickProvider", "PersonaClickSandbox", "HTTPExchange",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            exclude: ["Fixtures"]
        ),
    ]
)
