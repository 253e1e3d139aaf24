import ArgumentParser
import Broker
import CeleryProtocol
import DiscordTasks
import Foundation
import PythonCompat
import RedisClient

struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Publish a Celery protocol-2 task message (a Python Celery worker would accept it too); prints the task id.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Task name, e.g. discord.update_groups.")
    var task: String
    @Option(help: "Positional arguments as a JSON array, e.g. '[1]'.")
    var args: String = "[]"
    @Option(help: "Keyword arguments as a JSON object, e.g. '{\"user_pk\": 1}'.")
    var kwargs: String = "{}"
    @Option(help: "Run no earlier than this many seconds from now.")
    var countdown: Double?
    @Option(help: "Run no earlier than this ISO-8601 time (naive = UTC).")
    var eta: String?
    @Option(help: "Do not run after this many seconds from now.")
    var expires: Double?
    @Option(help: "0 (first) to 9 (last); default 5, AA's task_default_priority.")
    var priority: Int = 5
    @Option(help: "Queue (default: the task's route, discord.* → services, else the first of DISCORD_WORKER_QUEUES).")
    var queue: String?

    func validate() throws {
        guard (0...9).contains(priority) else { throw ValidationError("--priority must be from 0 to 9") }
        if countdown != nil && eta != nil { throw ValidationError("give --countdown or --eta, not both") }
        if let countdown, countdown < 0 { throw ValidationError("--countdown must not be negative") }
        guard task.range(of: "^[A-Za-z0-9_.:-]+$", options: .regularExpression) != nil else {
            throw ValidationError("'\(task)' is not a task name")
        }
    }

    func run() async throws {
        let config = try global.configuration()
        guard case .array(let argList)? = try? JSONValue.parse(Array(args.utf8)) else {
            throw ValidationError("--args must be a JSON array, e.g. '[1]'")
        }
        guard case .object(let kwargObject)? = try? JSONValue.parse(Array(kwargs.utf8)) else {
            throw ValidationError("--kwargs must be a JSON object, e.g. '{\"user_pk\": 1}'")
        }
        if let signature = AATaskCatalog.signature(task) {
            do {
                _ = try bindArguments(parameters: signature.parameters, args: argList, kwargs: kwargObject,
                                      function: String(task.split(separator: ".").last ?? ""))
            } catch {
                throw ValidationError("arguments do not fit \(task): \(error.message)")
            }
        }
        let now = Date()
        var etaDate: Date?
        if let countdown { etaDate = now.addingTimeInterval(countdown) }
        if let eta {
            guard let parsed = ISODate.parse(eta) else { throw ValidationError("--eta '\(eta)' is not an ISO-8601 time") }
            etaDate = parsed
        }
        let targetQueue = queue ?? (task.hasPrefix("discord.") ? "services" : config.queues[0])
        let message = TaskMessage.newTask(
            name: task, args: argList, kwargs: kwargObject, queue: targetQueue, priority: priority, eta: etaDate,
            expires: expires.map { now.addingTimeInterval($0) }, origin: "discord-worker-enqueue@\(ProcessInfo.processInfo.hostName)",
            now: now)
        let redis = RedisClient(url: config.brokerURL, name: "enqueue")
        do {
            try await redis.command(["LPUSH", RedisArgument(message.listKey), RedisArgument(bytes: message.bytes)])
        } catch {
            await redis.close()
            throw CommandFailure(message: "cannot publish to the broker: \(error)")
        }
        await redis.close()
        print(message.id)
    }
}
