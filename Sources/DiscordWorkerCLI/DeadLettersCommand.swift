import ArgumentParser
import Broker
import Foundation
import RedisClient

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "Inspect and recover messages that could not be processed.",
        subcommands: [List.self, Requeue.self, Purge.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, oldest first.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print a JSON array.")
        var json = false

        func run() async throws {
            let config = try global.configuration()
            let redis = RedisClient(url: config.brokerURL, name: "dead-letters")
            let letters: [StoredDeadLetter]
            do { letters = try await BrokerInspector(redis: redis).deadLetters() } catch {
                await redis.close()
                throw CommandFailure(message: "cannot read the broker: \(error)")
            }
            await redis.close()
            if json {
                let array: [[String: Any]] = letters.map { stored in
                    [
                        "id": stored.letter.id, "task": stored.letter.task, "reason": stored.letter.reason,
                        "queue": stored.letter.queue, "key": stored.letter.key, "at": isoTimestamp(stored.letter.at),
                        "message": String(decoding: stored.raw, as: UTF8.self),
                    ]
                }
                let data = try JSONSerialization.data(withJSONObject: array, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else if letters.isEmpty {
                print("no dead letters")
            } else {
                for stored in letters {
                    let l = stored.letter
                    print("\(isoTimestamp(l.at))  \(l.id)  \(l.task.isEmpty ? "-" : l.task)  [\(l.queue)]  \(l.reason)")
                }
            }
        }
    }

    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put dead letters back onto their queues.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Dead-letter ids (see list).")
        var ids: [String] = []
        @Flag(help: "Requeue every dead letter.")
        var all = false

        func validate() throws {
            if ids.isEmpty && !all { throw ValidationError("give dead-letter ids or --all") }
            if !ids.isEmpty && all { throw ValidationError("give ids or --all, not both") }
        }

        func run() async throws {
            let config = try global.configuration()
            let redis = RedisClient(url: config.brokerURL, name: "dead-letters")
            let count: Int
            do { count = try await BrokerInspector(redis: redis).requeueDeadLetters(ids: ids) } catch {
                await redis.close()
                throw CommandFailure(message: "cannot requeue: \(error)")
            }
            await redis.close()
            print("requeued \(count)")
            if !ids.isEmpty && count < ids.count { throw CommandFailure(message: "\(ids.count - count) id(s) not found") }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every dead letter.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.configuration()
            let redis = RedisClient(url: config.brokerURL, name: "dead-letters")
            let count: Int
            do { count = try await BrokerInspector(redis: redis).purgeDeadLetters() } catch {
                await redis.close()
                throw CommandFailure(message: "cannot purge: \(error)")
            }
            await redis.close()
            print("purged \(count)")
        }
    }
}
