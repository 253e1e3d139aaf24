@testable import DiscordWorkerCLI
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// `run`'s resources: closed once, last opened first, after the other services of the group stopped.
@Suite("OwnedResources")
struct OwnedResourcesTests {
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func append(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    /// Stands in for the worker: runs until the group's graceful shutdown, then notes that it stopped.
    struct DrainingService: Service {
        let journal: Journal
        let started: AsyncStream<Void>.Continuation

        func run() async throws {
            started.yield()
            try? await gracefulShutdown()
            journal.append("worker drained")
        }
    }

    @Test func theGroupClosesResourcesInReverseOrderAfterTheWorker() async throws {
        let journal = Journal()
        let resources = OwnedResources()
        for name in ["database", "rate-limit redis", "discord client", "cache redis"] {
            resources.adopt(name) { journal.append(name) }
        }
        let (started, continuation) = AsyncStream.makeStream(of: Void.self)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [
                .init(service: ResourcesService(resources: resources)),
                .init(service: DrainingService(journal: journal, started: continuation)),
            ],
            logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for await _ in started { break }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(journal.all == ["worker drained", "cache redis", "discord client", "rate-limit redis", "database"])
        await resources.closeAll()
        #expect(journal.all.count == 5, "a second closeAll closes nothing twice")
    }

    @Test func aFailedStartClosesWhatWasOpenedSoFar() async throws {
        struct StartFailed: Error {}
        let journal = Journal()
        await #expect(throws: StartFailed.self) {
            try await OwnedResources.scoped { resources in
                resources.adopt("database") { journal.append("database") }
                resources.adopt("discord client") { journal.append("discord client") }
                throw StartFailed()
            }
        }
        #expect(journal.all == ["discord client", "database"])
    }
}
