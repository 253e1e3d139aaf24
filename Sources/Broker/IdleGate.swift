/// Coordinates the blocking landing connections with the worker: blockers wait (BLMOVE) only while
/// the worker wants work, so an idle worker wakes the moment a message arrives and a busy worker
/// never hoards messages.
actor IdleGate {
    private var wanted = false
    private var stopped = false
    private var parked: [CheckedContinuation<Bool, Never>] = []
    private var waiter: CheckedContinuation<Void, Never>?
    private var landedWhileNobodyWaited = false

    /// Blockers call this before each blocking pop. Returns false when stopping.
    func parkUntilWanted() async -> Bool {
        if stopped { return false }
        if wanted { return true }
        return await withCheckedContinuation { parked.append($0) }
    }

    /// A blocker moved a message into the landing list.
    func landed() {
        wanted = false
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            landedWhileNobodyWaited = true
        }
    }

    /// The worker has capacity and found nothing queued: wake the blockers and wait for a landing
    /// (or the timeout).
    func waitForLanding(timeout: Duration) async {
        if stopped { return }
        if landedWhileNobodyWaited {
            landedWhileNobodyWaited = false
            return
        }
        wanted = true
        let blockers = parked
        parked.removeAll()
        for blocker in blockers { blocker.resume(returning: true) }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.timeOut()
        }
        await withCheckedContinuation { waiter = $0 }
        timer.cancel()
    }

    private func timeOut() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        }
    }

    /// The worker found work: blockers park after their current pop.
    func notWanted() {
        wanted = false
        landedWhileNobodyWaited = false
    }

    func stop() {
        stopped = true
        wanted = false
        for blocker in parked { blocker.resume(returning: false) }
        parked.removeAll()
        timeOut()
    }
}
