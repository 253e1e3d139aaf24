import Foundation
import GRDB
import Synchronization

/// Plays Alliance Auth's web process next to a worker on the same SQLite file: a small write
/// transaction (a login's `UPDATE auth_user SET last_login`) every `interval`, on its own
/// connection, recording how long each waited for the database lock. In rollback-journal mode a
/// reader's SHARED lock keeps a writer from committing, so the longest wait is how long the
/// worker's reads block AA's writes.
public final class SQLiteWriterProbe: Sendable {
    public struct Result: Sendable {
        public var writes: Int
        /// The longest single write, lock wait included.
        public var longest: Duration
        public var failures: Int
    }

    private struct State {
        var writes = 0
        var longest: Duration = .zero
        var failures = 0
    }

    private let state = Mutex(State())
    private let stopFlag = Atomic<Bool>(false)
    private let done = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let finished = Atomic<Bool>(false)

    /// Starts writing at once; `stop()` ends it and returns what it saw.
    public init(path: String, interval: Duration = .milliseconds(20), busyTimeout: Duration = .seconds(30)) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Double(busyTimeout.components.seconds))
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        let worker = Thread { [self] in
            let pause = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
            while !stopFlag.load(ordering: .acquiring) {
                let started = ContinuousClock.now
                do {
                    try queue.write { db in
                        try db.execute(sql: "UPDATE auth_user SET last_login = ? WHERE id = (SELECT MIN(id) FROM auth_user)",
                                       arguments: ["2024-01-02 00:00:00"])
                    }
                    let took = ContinuousClock.now - started
                    state.withLock {
                        $0.writes += 1
                        $0.longest = max($0.longest, took)
                    }
                } catch {
                    state.withLock { $0.failures += 1 }
                }
                Thread.sleep(forTimeInterval: pause)
            }
            finished.store(true, ordering: .releasing)
            let continuation = done.withLock { value -> CheckedContinuation<Void, Never>? in
                defer { value = nil }
                return value
            }
            continuation?.resume()
        }
        worker.name = "sqlite-writer-probe"
        worker.start()
    }

    /// Stops the probe and returns its result (waits for the write in progress).
    public func stop() async -> Result {
        stopFlag.store(true, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = done.withLock { value -> Bool in
                if finished.load(ordering: .acquiring) { return true }
                value = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        return state.withLock { Result(writes: $0.writes, longest: $0.longest, failures: $0.failures) }
    }
}
