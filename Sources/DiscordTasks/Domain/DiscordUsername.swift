/// How a Discord account is shown in logs and status output.
public enum DiscordUsername {
    /// `@name` for migrated accounts (discriminator `"0"`, or none), else the legacy `name#1234`.
    public static func display(username: String, discriminator: String) -> String {
        discriminator.isEmpty || discriminator == "0" ? "@" + username : username + "#" + discriminator
    }
}
