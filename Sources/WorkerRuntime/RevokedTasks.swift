public import Foundation
import Synchronization

/// Task ids revoked by remote control (`celery control revoke <id>`, Flower's revoke button): a message
/// with such an id is not run when it arrives (or when its eta or retry comes), as with Celery's worker.
/// Like Celery's `LimitedSet` of revoked ids (`worker_state.revoked`), it lives in this process's memory,
/// holds at most `maxCount` ids and forgets an id after `expiry` (Celery's REVOKES_MAX 50,000 and
/// REVOKE_EXPIRES 3 h); every worker process gets the broadcast and keeps its own.
public final class RevokedTasks: Sendable {
    public let maxCount: Int
    public let expiry: TimeInterval
    private let state = Mutex<[String: Date]>([:])

    public init(maxCount: Int = 50_000, expiry: TimeInterval = 10_800) {
        self.maxCount = maxCount
        self.expiry = expiry
    }

    /// Flags `ids` as revoked at `now`.
    public func revoke(_ ids: some Sequence<String>, now: Date = Date()) {
        state.withLock { revoked in
            for id in ids { revoked[id] = now }
            Self.purge(&revoked, now: now, expiry: expiry, maxCount: maxCount)
        }
    }

    public func contains(_ id: String, now: Date = Date()) -> Bool {
        state.withLock { revoked in
            guard let at = revoked[id] else { return false }
            return now.timeIntervalSince(at) < expiry
        }
    }

    /// The revoked ids still remembered, oldest first (`celery inspect revoked`).
    public func ids(now: Date = Date()) -> [String] {
        state.withLock { revoked in
            Self.purge(&revoked, now: now, expiry: expiry, maxCount: maxCount)
            return revoked.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map(\.key)
        }
    }

    private static func purge(_ revoked: inout [String: Date], now: Date, expiry: TimeInterval, maxCount: Int) {
        revoked = revoked.filter { now.timeIntervalSince($0.value) < expiry }
        if revoked.count > maxCount {
            for (id, _) in revoked.sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }).prefix(revoked.count - maxCount) {
                revoked.removeValue(forKey: id)
            }
        }
    }
}
