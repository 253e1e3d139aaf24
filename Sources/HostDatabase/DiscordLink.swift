public import Foundation

/// A row of `discord_discorduser`: the link between an AA user and a Discord account.
public struct DiscordLink: Sendable, Hashable {
    /// `user_id`, the AA user's pk (primary key of the table).
    public var userPK: Int64
    /// `uid`, the Discord user id (snowflake).
    public var uid: Int64
    /// `username`, the Discord username as last stored (≤ 32 characters when written by AA's OAuth flow).
    public var username: String
    /// `discriminator`: `"0"` for migrated users, else the legacy 4 digits.
    public var discriminator: String
    /// `activated`, naive UTC; nil when NULL (or unreadable).
    public var activated: Date?

    public init(userPK: Int64, uid: Int64, username: String, discriminator: String, activated: Date?) {
        self.userPK = userPK
        self.uid = uid
        self.username = username
        self.discriminator = discriminator
        self.activated = activated
    }
}
