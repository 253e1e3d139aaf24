import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization

/// One dependency `/readyz` checks (the broker's Redis, AA's database). `check` throws when it is not
/// reachable; it gets `ReadinessCheck.timeout` to answer.
public struct ReadinessCheck: Sendable {
    public var name: String
    public var check: @Sendable () async throws -> Void

    public init(name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }

    public static let timeout: Duration = .seconds(2)
}

/// The routes of `DISCORD_WORKER_HTTP_ADDRESS`:
/// - `GET /healthz`: 200 while the process serves requests (liveness).
/// - `GET /readyz`: 200 when every `ReadinessCheck` passes and the worker is not shutting down, else 503
///   with one line per failed check (never an error text: it might name a host or user).
/// - `GET /metrics`: Prometheus text format (version 0.0.4).
public struct OperationsRoutes: Sendable {
    public var exporter: MetricsExporter
    public var readiness: [ReadinessCheck]
    public var isShuttingDown: @Sendable () -> Bool

    public init(exporter: MetricsExporter, readiness: [ReadinessCheck], isShuttingDown: @escaping @Sendable () -> Bool) {
        self.exporter = exporter
        self.readiness = readiness
        self.isShuttingDown = isShuttingDown
    }

    public func respond(_ request: HTTPEndpoint.Request) async -> HTTPEndpoint.Response {
        switch request.path {
        case "/healthz":
            return .init(status: 200, text: "ok\n")
        case "/readyz":
            return await readyz()
        case "/metrics":
            return .init(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: await exporter.scrape())
        default:
            return .init(status: 404, text: "not found: /healthz, /readyz, /metrics\n")
        }
    }

    func readyz() async -> HTTPEndpoint.Response {
        if isShuttingDown() { return .init(status: 503, text: "shutting down\n") }
        var lines: [String] = []
        var ready = true
        for item in readiness {
            if await Self.passes(item.check, within: ReadinessCheck.timeout) {
                lines.append("\(item.name): ok")
            } else {
                ready = false
                lines.append("\(item.name): not reachable")
            }
        }
        if isShuttingDown() { return .init(status: 503, text: "shutting down\n") }
        return .init(status: ready ? 200 : 503, text: lines.joined(separator: "\n") + "\n")
    }

    /// Runs `check` with a deadline; a check that does not answer in time counts as failed (it is left to
    /// finish on its own, its result ignored).
    static func passes(_ check: @escaping @Sendable () async throws -> Void, within timeout: Duration) async -> Bool {
        let decision = Decision()
        @Sendable func decide(_ value: Bool) { decision.resolve(value) }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            decision.set(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                decide(false)
            }
            Task {
                do {
                    try await check()
                    decide(true)
                } catch {
                    decide(false)
                }
                timer.cancel()
            }
        }
    }
}

/// A continuation resumed once, by whichever comes first.
private final class Decision: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func set(_ c: CheckedContinuation<Bool, Never>) { continuation.withLock { $0 = c } }

    func resolve(_ value: Bool) {
        let c = continuation.withLock { c -> CheckedContinuation<Bool, Never>? in
            defer { c = nil }
            return c
        }
        c?.resume(returning: value)
    }
}

/// The endpoint as a swift-service-lifecycle `Service`: serves until graceful shutdown, then closes its
/// socket. Put it first in the `ServiceGroup` so that it stops last (probes answer "shutting down" while
/// the worker drains).
public struct OperationsService: Service {
    public let endpoint: HTTPEndpoint
    private let logger: Logger

    /// Binds `address` now: a bad or busy address fails here, before anything else starts.
    public init(address: String, routes: OperationsRoutes, logger: Logger) throws(HTTPEndpoint.BindError) {
        endpoint = try HTTPEndpoint(address: address) { request in await routes.respond(request) }
        self.logger = logger
    }

    public func run() async throws {
        endpoint.start()
        logger.info("operations endpoint listening", metadata: [
            "address": "\(endpoint.host):\(endpoint.port)", "paths": "/metrics /healthz /readyz",
        ])
        try? await gracefulShutdown()
        await endpoint.shutdown()
        logger.debug("operations endpoint stopped")
    }
}
