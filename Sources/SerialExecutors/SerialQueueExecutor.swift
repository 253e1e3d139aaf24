import Dispatch

/// A serial executor on its own dispatch queue, so that an actor's blocking C calls (a `BRPOP`
/// waiting for work, a slow reply) never occupy a thread of Swift's cooperative pool.
/// Linux has no `DispatchSerialQueue` executor, hence this small adapter.
public final class SerialQueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
