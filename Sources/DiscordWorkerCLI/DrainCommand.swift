import ArgumentParser
import Broker
import RedisClient

/// `discord-worker drain`: hands delayed work back to the queue lists, for a rollback to AA's Celery worker.
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Move every delayed message (eta, countdown, retries) onto its queue now, for a Python Celery worker.",
        discussion: """
            Delayed messages wait in discord-worker's own sorted set, which Celery does not read. Before going back \
            to AA's Celery worker, stop every discord-worker, then run this: each message goes onto its queue list \
            as Celery publishes it, and Celery holds a message with an eta until it is due. Dead letters stay \
            (see dead-letters requeue).
            """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let config = try global.configuration()
        let redis = RedisClient(url: config.brokerURL, name: "drain")
        let inspector = BrokerInspector(redis: redis)
        let moved: Int
        let workers: [BrokerInspector.WorkerState]
        do {
            workers = try await inspector.workers().filter { $0.aliveTTLMilliseconds != nil }
            moved = try await inspector.releaseDelayed()
        } catch {
            await redis.close()
            throw CommandFailure(message: "cannot drain the delayed messages: \(error)")
        }
        await redis.close()
        print("moved \(moved) delayed message(s) onto their queues")
        if !workers.isEmpty {
            print("note: \(workers.count) discord-worker(s) still alive (\(workers.map(\.id).joined(separator: ", "))): they keep scheduling new delayed work")
        }
    }
}
