import Foundation

/// `check`: each problem with its fix. Filled in with the Discord client.
enum DiscordCheck {
    static func run(configuration: Configuration) async throws {
        throw CommandFailure(message: "check is not available yet in this build")
    }
}
