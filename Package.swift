// swift-tools-version:6.0
// discord-worker: a Celery-compatible Swift worker for Alliance Auth's discord.* tasks.
//
// Layers, C at the leaves:
//   discord-worker (exe) → DiscordWorkerCLI → WorkerRuntime, DiscordTasks
//   DiscordTasks → DiscordAPI, HostDatabase (protocol only), WorkerRuntime
//   DiscordWorkerCLI → HostDatabaseSQLite → GRDB; HostDatabaseMariaDB → MariaDBClient → CMariaDB
//   WorkerRuntime → Broker → CeleryProtocol → PythonCompat
//   HostDatabase, DiscordAPI, DiscordSandbox → PythonCompat (→ OrderedCollections); WorkerRuntime, DiscordAPI, CurlHTTP → LogKeys
//   DiscordWorkerCLI → CeleryControl → WorkerRuntime, RedisClient (pidbox, celeryev, AA task statistics)
//   Broker, DiscordAPI → RedisClient → CHiredis; RedisClient, MariaDBClient → SerialExecutors
//   DiscordAPI → CurlHTTP → CCurl
//   CeleryProtocol → ZlibInflate → CZlib
//   DiscordWorkerCLI → Operations (/metrics, /healthz, /readyz, JSON logs) → WorkerMetrics (every metric name)
//   discord-sandbox (exe) → DiscordSandbox (Hummingbird; never linked into discord-worker)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The git commit `discord-worker --version` reports: deploy/package.sh and the Dockerfile set
// DISCORD_WORKER_GIT_COMMIT for `swift build`; anything but 7 to 40 hex digits means "unknown".
let gitCommit: String = {
    let value = Context.environment["DISCORD_WORKER_GIT_COMMIT"] ?? ""
    let isHex = (7...40).contains(value.count) && value.allSatisfy { "0123456789abcdef".contains($0) }
    return isHex ? value : "unknown"
}()

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
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries (system packages), wrapped by exactly one Swift target each.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The build's git commit as a C string (see gitCommit above); only DiscordWorkerCLI imports it.
        .target(name: "CBuildInfo", cSettings: [.define("DISCORD_WORKER_GIT_COMMIT", to: "\"\(gitCommit)\"")]),

        // Pure values: order-preserving JSON with Python's json.dumps output, Python str()/repr() and string
        // rules, calendar arithmetic.
        .target(name: "PythonCompat", dependencies: [
            .product(name: "OrderedCollections", package: "swift-collections"),
        ], swiftSettings: swiftSettings),

        // The log metadata keys of every module.
        .target(name: "LogKeys", swiftSettings: swiftSettings),

        // A serial executor on its own dispatch queue: actors wrapping blocking C calls run there, never on
        // the cooperative pool (RedisClient, MariaDBClient).
        .target(name: "SerialExecutors", swiftSettings: swiftSettings),

        // The only owner of hiredis.
        .target(name: "RedisClient", dependencies: [
            "CHiredis", "SerialExecutors",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // The only owner of libcurl.
        .target(name: "CurlHTTP", dependencies: [
            "CCurl", "LogKeys",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // The only owner of MariaDB Connector/C: sessions, pool, reconnects.
        .target(name: "MariaDBClient", dependencies: [
            "CMariaDB", "SerialExecutors",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // The only owner of zlib (kombu's compressed bodies).
        .target(name: "ZlibInflate", dependencies: ["CZlib"], swiftSettings: swiftSettings),

        // Pure Celery/kombu wire protocol: envelopes, bodies, priority keys, chains, retries, once-locks.
        .target(name: "CeleryProtocol", dependencies: ["PythonCompat", "ZlibInflate"], swiftSettings: swiftSettings),

        // Reliable Celery-compatible broker on Redis: leases, delayed set, dead letters; and every other write
        // Celery-side: publishing (TaskPublisher), results (ResultBackend), locks (RedisLock), celery_once
        // locks (OnceLocks), bulk progress.
        .target(name: "Broker", dependencies: [
            "CeleryProtocol", "RedisClient",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Every metric name and label of the process (swift-metrics API only; the backend is chosen by the CLI).
        .target(name: "WorkerMetrics", dependencies: [
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ], swiftSettings: swiftSettings),

        // Discord HTTP API v10 client with the Redis-shared rate limiter.
        .target(name: "DiscordAPI", dependencies: [
            "CurlHTTP", "RedisClient", "LogKeys", "PythonCompat", "WorkerMetrics",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Alliance Auth's own database: the protocol, its models, DATABASE_URL, errors (no backend).
        .target(name: "HostDatabase", dependencies: ["PythonCompat"], swiftSettings: swiftSettings),
        // The SQLite backend (GRDB).
        .target(name: "HostDatabaseSQLite", dependencies: [
            "HostDatabase",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        // The MariaDB/MySQL backend (MariaDBClient).
        .target(name: "HostDatabaseMariaDB", dependencies: [
            "HostDatabase", "MariaDBClient",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Worker runtime: task registry, argument binding, processor, retries, shutdown.
        .target(name: "WorkerRuntime", dependencies: [
            "Broker", "CeleryProtocol", "RedisClient", "PythonCompat", "LogKeys",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // A Celery citizen: remote control (pidbox), events (celeryev), AA's dashboard task statistics.
        .target(name: "CeleryControl", dependencies: [
            "WorkerRuntime", "RedisClient", "PythonCompat", "LogKeys",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Alliance Auth's discord.* tasks.
        .target(name: "DiscordTasks", dependencies: [
            "DiscordAPI", "HostDatabase", "WorkerRuntime", "Broker", "RedisClient", "PythonCompat", "CeleryProtocol",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Operations: the /metrics, /healthz, /readyz endpoint (a small socket server on its own thread,
        // Prometheus text through swift-prometheus) and the JSON log handler.
        .target(name: "Operations", dependencies: [
            "WorkerMetrics", "WorkerRuntime", "Broker", "CeleryProtocol", "RedisClient", "PythonCompat",
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        // Command line: configuration from the environment, subcommands.
        .target(name: "DiscordWorkerCLI", dependencies: [
            "WorkerRuntime", "DiscordTasks", "DiscordAPI", "HostDatabase", "HostDatabaseSQLite", "HostDatabaseMariaDB",
            "Broker", "CeleryProtocol", "RedisClient", "PythonCompat", "CurlHTTP", "CBuildInfo", "Operations", "CeleryControl",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "discord-worker", dependencies: ["DiscordWorkerCLI"], swiftSettings: swiftSettings),

        // The Discord API sandbox: test equipment, its own product.
        .target(name: "DiscordSandbox", dependencies: [
            "PythonCompat",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "discord-sandbox", dependencies: [
            "DiscordSandbox",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        // Benchmark harness (not a test).
        .executableTarget(name: "discord-bench", dependencies: [
            "TestSupport", "RedisClient", "HostDatabase", "HostDatabaseSQLite", "HostDatabaseMariaDB", "DiscordTasks", "DiscordAPI", "DiscordSandbox", "CeleryProtocol",
            "PythonCompat", "WorkerRuntime", "Broker",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        // Launchers for redis-server and the sandbox, fixture loading, AA database builder.
        .target(name: "TestSupport", dependencies: [
            "RedisClient", "HostDatabase", "DiscordSandbox", "MariaDBClient",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "PythonCompatTests", dependencies: ["PythonCompat", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CeleryProtocolTests", dependencies: ["CeleryProtocol", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "ZlibInflateTests", dependencies: ["ZlibInflate"], swiftSettings: swiftSettings),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "MariaDBClientTests", dependencies: [
            "MariaDBClient", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "CeleryProtocol", "PythonCompat", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DiscordAPITests", dependencies: [
            "DiscordAPI", "CurlHTTP", "DiscordSandbox", "TestSupport", "PythonCompat", "WorkerMetrics",
            .product(name: "MetricsTestKit", package: "swift-metrics"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "DiscordSandboxTests", dependencies: [
            "DiscordSandbox",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "HostDatabaseTests", dependencies: [
            "HostDatabase", "HostDatabaseSQLite", "HostDatabaseMariaDB", "MariaDBClient", "TestSupport",
        ], swiftSettings: swiftSettings),
        .testTarget(name: "DiscordTasksTests", dependencies: [
            "DiscordTasks", "TestSupport", "DiscordAPI", "DiscordSandbox", "HostDatabase", "HostDatabaseSQLite", "CeleryProtocol", "PythonCompat",
            "WorkerRuntime", "RedisClient", "Broker",
        ], swiftSettings: swiftSettings),
        .testTarget(name: "WorkerRuntimeTests", dependencies: ["WorkerRuntime", "Broker", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CeleryControlTests", dependencies: ["CeleryControl", "WorkerRuntime", "PythonCompat", "TestSupport", "RedisClient"], swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: [
            "DiscordWorkerCLI", "RedisClient", "WorkerRuntime", "CeleryProtocol",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: swiftSettings),
        // deploy/: Dockerfile, package.sh, units and runtime packages agree with each other and with the code.
        .testTarget(name: "PackagingTests", dependencies: ["DiscordWorkerCLI", "WorkerRuntime"], swiftSettings: swiftSettings),
        .testTarget(name: "OperationsTests", dependencies: ["Operations", "WorkerMetrics", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests", dependencies: [
            "DiscordWorkerCLI", "TestSupport", "CeleryProtocol", "DiscordSandbox", "RedisClient", "DiscordAPI",
        ], swiftSettings: swiftSettings),
    ]
)
