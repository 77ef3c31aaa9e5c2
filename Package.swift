// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "campaign-as-code",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "campaign", targets: ["CampaignCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        // Finding, reading and fanning out over source files (the file-system edge).
        .target(name: "Workspace", dependencies: ["Diagnostics"]),
        // The `campaign` command line tool.
        .executableTarget(
            name: "CampaignCLI",
            dependencies: [
                "Diagnostics",
                "YAMLFrontEnd",
                "Workspace",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer entry point for the YAML front end (`make fuzz`); without -DFUZZING it replays files.
        .executableTarget(name: "YAMLFuzz", dependencies: ["YAMLFrontEnd"]),
        .testTarget(
            name: "CampaignTests",
            dependencies: ["Diagnostics", "JSON", "YAMLFrontEnd", "Workspace", "CampaignCLI"],
            exclude: ["Fixtures"]
        ),
    ]
)
