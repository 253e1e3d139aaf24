/// A row of `auth_user`, the columns the Discord tasks use.
public struct AAUser: Sendable, Hashable {
    /// `auth_user.id`, the `user_pk` of every task.
    public var id: Int64
    /// `auth_user.username`, the `{username}` nickname key.
    public var username: String

    public init(id: Int64, username: String) {
        self.id = id
        self.username = username
    }
}
