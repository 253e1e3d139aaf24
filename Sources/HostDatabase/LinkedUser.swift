/// A user with a Discord link, as the bulk tasks read them: the link row plus the sync profile.
public struct LinkedUser: Sendable, Hashable {
    public var link: DiscordLink
    public var profile: SyncProfile

    public init(link: DiscordLink, profile: SyncProfile) {
        self.link = link
        self.profile = profile
    }

    public var userPK: Int64 { link.userPK }
}
