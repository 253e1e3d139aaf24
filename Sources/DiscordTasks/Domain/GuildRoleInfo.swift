/// What role planning needs to know about one guild role (from `GET /guilds/{id}/roles`).
public struct GuildRoleInfo: Sendable, Hashable {
    /// The role's snowflake.
    public var id: UInt64
    public var name: String
    /// Discord's position: higher is higher in the hierarchy; the @everyone role is 0.
    public var position: Int
    /// Managed by an integration (bot roles, the booster role): no bot can add or remove it.
    public var managed: Bool

    public init(id: UInt64, name: String, position: Int, managed: Bool) {
        self.id = id
        self.name = name
        self.position = position
        self.managed = managed
    }
}
