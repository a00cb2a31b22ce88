// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "moat",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "moat", targets: ["moat"]),
        .executable(name: "moat-bench-sync", targets: ["BenchSync"]),
        .executable(name: "moat-bench-firewall", targets: ["BenchFirewall"]),
        .executable(name: "moat-bench-tunnels", targets: ["BenchTunnels"]),
        .executable(name: "moat-bench-bgp", targets: ["BenchBGP"]),
        .executable(name: "moat-bench-traceroute", targets: ["BenchTraceroute"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // Domain types shared by core and edge. Foundation only.
        .target(name: "MoatModel"),
        // The firewall rule language: scheme, parser, checker, evaluator, nftables compiler.
        .target(name: "Firewall", dependencies: ["MoatModel"]),
        // System adapters: processes, commands, network namespaces primitives.
        .target(name: "LinuxNet"),
        // GRE tunnels: codecs, health state machines, route selection (pure); the userspace data path.
        .target(name: "Tunnels", dependencies: ["MoatModel", "LinuxNet"]),
        // BGP speaker: message codec and session state machine (pure).
        .target(name: "BGP", dependencies: ["MoatModel", "LinuxNet"]),
        // Spectrum: the L4 proxy. Headers, balancing, access (pure); TCP and UDP on SwiftNIO.
        .target(
            name: "Proxy",
            dependencies: [
                "MoatModel", "LinuxNet",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Distributed traceroute: probe codec, reply matching, trace state machine, hop statistics,
        // IP-to-ASN table (pure); the raw-socket runner.
        .target(name: "Traceroute", dependencies: ["MoatModel", "LinuxNet", "Tunnels"]),
        // DDoS protection: packet samples, detection, fingerprints, managed and mitigation
        // rules for nftables (pure); NFLOG sampling lives in LinuxNet.
        .target(name: "DDoS", dependencies: ["MoatModel", "LinuxNet", "Firewall"]),
        // Network namespaces for the lab and the integration tests.
        .target(name: "NetLab", dependencies: ["LinuxNet", "MoatModel"]),
        // Control plane.
        .target(
            name: "MoatCore",
            dependencies: [
                "MoatModel", "LinuxNet", "Firewall",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.json")]
        ),
        // Edge agent.
        .target(
            name: "MoatEdge",
            dependencies: [
                "MoatModel", "LinuxNet", "MoatClient", "Firewall", "Tunnels", "BGP", "Proxy", "Traceroute", "DDoS",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // API client used by the CLI and the benchmarks: only the public API.
        .target(
            name: "MoatClient",
            dependencies: [
                "MoatModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "moat",
            dependencies: [
                "MoatCore", "MoatEdge", "MoatClient", "MoatModel", "Firewall", "LinuxNet", "Tunnels", "NetLab", "Proxy", "Traceroute", "DDoS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "BenchSync",
            dependencies: [
                "MoatClient", "MoatModel", "MoatEdge",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/sync/Sources"
        ),
        .executableTarget(
            name: "BenchFirewall",
            dependencies: [
                "Firewall", "LinuxNet", "NetLab", "MoatModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/firewall/Sources"
        ),
        .executableTarget(
            name: "BenchTunnels",
            dependencies: [
                "LinuxNet", "NetLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/tunnels/Sources"
        ),
        .executableTarget(
            name: "BenchBGP",
            dependencies: [
                "BGP", "LinuxNet", "NetLab", "MoatModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/bgp/Sources"
        ),
        .executableTarget(
            name: "BenchTraceroute",
            dependencies: [
                "LinuxNet", "NetLab",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/traceroute/Sources"
        ),
        .testTarget(name: "MoatModelTests", dependencies: ["MoatModel"]),
        .testTarget(name: "TunnelsTests", dependencies: ["Tunnels", "MoatModel", "NetLab"]),
        .testTarget(name: "TracerouteTests", dependencies: ["Traceroute", "Tunnels", "MoatModel"]),
        .testTarget(name: "BGPTests", dependencies: ["BGP", "MoatModel", "NetLab"]),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "Proxy", "MoatModel", "LinuxNet",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "DDoSTests", dependencies: ["DDoS", "MoatModel", "LinuxNet", "NetLab"]),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "MoatModel", "NetLab"]),
        .testTarget(
            name: "MoatCoreTests",
            dependencies: [
                "MoatCore", "MoatModel",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "MoatEdgeTests",
            dependencies: [
                "MoatEdge", "MoatModel", "MoatCore", "MoatClient", "BGP", "Traceroute",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "IntegrationTests", dependencies: ["NetLab", "LinuxNet", "MoatClient", "MoatModel", "Firewall", "BGP", "DDoS"]),
    ],
    swiftLanguageModes: [.v5]
)
