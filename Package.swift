// swift-tools-version:6.0
// discord-worker: a Celery-compatible Swift worker for Alliance Auth's discord.* tasks.
//
// Layers, C at the leaves:
//   discord-worker (exe) → DiscordWorkerCLI → WorkerRuntime, DiscordTasks
//   DiscordTasks → DiscordAPI, HostDatabase, WorkerRuntime
//   WorkerRuntime → Broker → CeleryProtocol → PythonCompat
//   DiscordWorkerCLI → CeleryControl → WorkerRuntime, RedisClient (pidbox, celeryev, AA task statistics)
//   Broker, DiscordAPI → RedisClient → CHiredis
//   DiscordAPI → CurlHTTP → CCurl
//   discord-sandbox (exe) → DiscordSandbox (Hummingbird; never linked into discord-worker)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "discord-worker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "discord-worker", targets: ["discord-worker"]),
        .executable(name: "discord-sandbox", targets: ["discord-sandbox"]),
        .executable(name: "discord-bench", targets: ["discord-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // C libraries (system packages), wrapped by exactly one Swift target each.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Pure values: order-preserving JSON with Python's json.dumps output, Python str()/repr().
        .target(name: "PythonCompat", swiftSettings: swiftSettings),

        // The only owner of hiredis.
        .target(name: "RedisClient", dependencies: [
            "CHiredis",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // The only owner of libcurl.
        .target(name: "CurlHTTP", dependencies: [
            "CCurl",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Pure Celery/kombu wire protocol: envelopes, bodies, priority keys, chains, retries, once-locks.
        .target(name: "CeleryProtocol", dependencies: ["PythonCompat"], swiftSettings: swiftSettings),

        // Reliable Celery-compatible broker on Redis: leases, delayed set, dead letters.
        .target(name: "Broker", dependencies: [
            "CeleryProtocol", "RedisClient",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Discord HTTP API v10 client with the Redis-shared rate limiter.
        .target(name: "DiscordAPI", dependencies: [
            "CurlHTTP", "RedisClient",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Alliance Auth's own database (SQLite through GRDB).
        .target(name: "HostDatabase", dependencies: [
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Worker runtime: task registry, argument binding, processor, retries, shutdown.
        .target(name: "WorkerRuntime", dependencies: [
            "Broker", "CeleryProtocol", "RedisClient", "PythonCompat",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // A Celery citizen: remote control (pidbox), events (celeryev), AA's dashboard task statistics.
        .target(name: "CeleryControl", dependencies: [
            "WorkerRuntime", "RedisClient", "PythonCompat",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Alliance Auth's discord.* tasks.
        .target(name: "DiscordTasks", dependencies: [
            "DiscordAPI", "HostDatabase", "WorkerRuntime", "RedisClient", "PythonCompat", "CeleryProtocol",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Command line: configuration from the environment, subcommands.
        .target(name: "DiscordWorkerCLI", dependencies: [
            "WorkerRuntime", "DiscordTasks", "DiscordAPI", "HostDatabase", "Broker", "CeleryProtocol",
            "RedisClient", "PythonCompat", "CeleryControl",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "discord-worker", dependencies: ["DiscordWorkerCLI"], swiftSettings: swiftSettings),

        // The Discord API sandbox: test equipment, its own product.
        .target(name: "DiscordSandbox", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "discord-sandbox", dependencies: [
            "DiscordSandbox",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        // Benchmark harness (not a test).
        .executableTarget(name: "discord-bench", dependencies: [
            "TestSupport", "RedisClient", "HostDatabase", "DiscordTasks", "DiscordAPI", "DiscordSandbox", "CeleryProtocol",
            "PythonCompat", "WorkerRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        // Launchers for redis-server and the sandbox, fixture loading, AA database builder.
        .target(name: "TestSupport", dependencies: [
            "RedisClient", "HostDatabase", "DiscordSandbox",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "PythonCompatTests", dependencies: ["PythonCompat", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CeleryProtocolTests", dependencies: ["CeleryProtocol", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DiscordAPITests", dependencies: ["DiscordAPI", "CurlHTTP", "DiscordSandbox", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DiscordSandboxTests", dependencies: [
            "DiscordSandbox",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "HostDatabaseTests", dependencies: ["HostDatabase", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DiscordTasksTests", dependencies: [
            "DiscordTasks", "TestSupport", "DiscordAPI", "DiscordSandbox", "HostDatabase", "CeleryProtocol", "PythonCompat",
            "WorkerRuntime", "RedisClient",
        ], swiftSettings: swiftSettings),
        .testTarget(name: "WorkerRuntimeTests", dependencies: ["WorkerRuntime", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CeleryControlTests", dependencies: ["CeleryControl", "WorkerRuntime", "PythonCompat", "TestSupport", "RedisClient"], swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["DiscordWorkerCLI", "RedisClient"], swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: ["DiscordWorkerCLI", "TestSupport"], swiftSettings: swiftSettings),
    ]
)
