public import Foundation
public import PythonCompat
public import WorkerRuntime

/// What remote-control replies describe, taken at the moment a command arrives.
public struct WorkerSnapshot: Sendable {
    public var nodeName: String
    public var pid: Int32
    public var clock: Int64
    public var startedAt: Date
    public var now: Date
    public var concurrency: Int
    public var queues: [String]
    public var registered: [String]
    /// Running handlers, oldest first, with their start time.
    public var active: [(task: ObservedTask, started: Date)]
    /// Received, not started, no future eta (Celery's reserved requests).
    public var reserved: [ObservedTask]
    /// Received with an eta in the future and not started (Celery's scheduled requests).
    public var scheduled: [ObservedTask]
    /// Finished runs per task name (Celery's `total`).
    public var totals: [String: Int]
    public var brokerHost: String
    public var brokerPort: Int?
    public var brokerDatabase: Int
    public var eventsEnabled: Bool
    public var softwareVersion: String
    /// Celery's `rusage` dict for `stats` (``ProcessFacts/rusage()``).
    public var rusage: JSONObject
    /// The platform line of `report` (``ProcessFacts/platform()``).
    public var platform: String
    /// Task ids revoked by remote control and still remembered (`inspect revoked`).
    public var revoked: [String]

    public init(nodeName: String, pid: Int32, clock: Int64, startedAt: Date, now: Date, concurrency: Int, queues: [String],
                registered: [String], active: [(task: ObservedTask, started: Date)], reserved: [ObservedTask],
                scheduled: [ObservedTask], totals: [String: Int], brokerHost: String, brokerPort: Int?,
                brokerDatabase: Int, eventsEnabled: Bool, softwareVersion: String, rusage: JSONObject = [:],
                platform: String = "", revoked: [String] = []) {
        self.nodeName = nodeName
        self.pid = pid
        self.clock = clock
        self.startedAt = startedAt
        self.now = now
        self.concurrency = concurrency
        self.queues = queues
        self.registered = registered
        self.active = active
        self.reserved = reserved
        self.scheduled = scheduled
        self.totals = totals
        self.brokerHost = brokerHost
        self.brokerPort = brokerPort
        self.brokerDatabase = brokerDatabase
        self.eventsEnabled = eventsEnabled
        self.softwareVersion = softwareVersion
        self.rusage = rusage
        self.platform = platform
        self.revoked = revoked
    }
}
