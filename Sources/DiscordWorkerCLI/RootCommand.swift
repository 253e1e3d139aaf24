public import ArgumentParser
import Foundation
import Logging
import Operations

/// `discord-worker`: Alliance Auth's Discord sync worker.
public struct RootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "discord-worker",
        abstract: "A Celery-compatible worker for Alliance Auth's discord.* tasks.",
        discussion: """
        Settings come from the environment (see the README), optionally from --env-file.
        Anyone who can write to the broker can enqueue tasks: protect Redis with a password or ACL.
        """,
        version: BuildInfo.current.text,
        subcommands: [RunCommand.self, EnqueueCommand.self, StatusCommand.self, DeadLettersCommand.self,
                      CheckCommand.self, BotURLCommand.self, OAuthURLCommand.self, DrainCommand.self])

    public init() {}

    /// Parses and runs; usage and configuration errors exit with code 2 and one clear line.
    public static func runMain() async -> Never {
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("discord-worker: \(KnownSecrets.redact(error.description))\n".utf8))
            Foundation.exit(2)
        } catch let error as CommandFailure {
            FileHandle.standardError.write(Data("discord-worker: \(KnownSecrets.redact(error.message))\n".utf8))
            Foundation.exit(error.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            // One line: the problem and where help is (ArgumentParser's full message adds usage lines).
            let message = self.message(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
            if !message.isEmpty {
                let line = message.split(separator: "\n").joined(separator: " ")
                FileHandle.standardError.write(Data("discord-worker: \(KnownSecrets.redact(line)) (see --help)\n".utf8))
            }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}

/// A command that could not do its job: the message is printed, the process exits with `exitCode`.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32 = 1
}

/// `--env-file` on every subcommand.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Read settings from this KEY=VALUE file (the environment wins over it).")
    var envFile: String?

    func configuration() throws(ConfigurationError) -> Configuration {
        try Configuration(envFile: envFile)
    }
}

func makeLogger(_ configuration: Configuration, label: String = "discord-worker") -> Logger {
    LoggingBootstrap.once(level: Logger.Level(rawValue: configuration.logLevel) ?? .info, json: configuration.logFormat == "json")
    return Logger(label: label)
}

enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    static func once(level: Logger.Level, json: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
