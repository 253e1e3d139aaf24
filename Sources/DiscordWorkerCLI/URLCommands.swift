import ArgumentParser
import Foundation

struct BotURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bot-url", abstract: "Print the 'Link Discord Server' URL (scope bot, administrator permissions).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let config = try global.configuration()
        guard let appID = config.appID else { throw ConfigurationError(variable: "DISCORD_APP_ID", problem: "is not set") }
        // As Alliance Auth builds it: permissions=8 (ADMINISTRATOR; it does not bypass the role hierarchy).
        print("\(config.oauthBaseURL)?client_id=\(appID)&scope=bot&permissions=8")
    }
}

struct OAuthURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth-url", abstract: "Print the member linking URL (scopes identify guilds.join).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The OAuth2 state parameter (CSRF token); a random one by default.")
    var state: String?

    func run() throws {
        let config = try global.configuration()
        guard let appID = config.appID else { throw ConfigurationError(variable: "DISCORD_APP_ID", problem: "is not set") }
        guard let callback = config.callbackURL else { throw ConfigurationError(variable: "DISCORD_CALLBACK_URL", problem: "is not set") }
        var components = URLComponents(string: config.oauthBaseURL)!
        components.queryItems = [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: appID),
            URLQueryItem(name: "redirect_uri", value: callback),
            URLQueryItem(name: "scope", value: "identify guilds.join"),
            URLQueryItem(name: "state", value: state ?? UUID().uuidString.lowercased()),
        ]
        // URLComponents leaves ':' and '/' in the redirect_uri; Discord accepts either form.
        print(components.string ?? config.oauthBaseURL)
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify the configuration against Discord: token, guild, bot role position and permissions, intent, role budget, callback URL.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let config = try global.configuration()
        _ = try config.requireDiscord()
        try await DiscordCheck.run(configuration: config)
    }
}
