/// `notifications_notification.level` values AA uses.
public enum NotificationLevel: String, Sendable, CaseIterable {
    case danger, warning, info, success
}

/// A notification text AA's tasks write, exactly as AA 5.5 writes it in `LANGUAGE_CODE` en-us.
public struct HostNotification: Sendable, Hashable {
    public var level: NotificationLevel
    public var title: String
    public var message: String

    public init(level: NotificationLevel, title: String, message: String) {
        self.level = level
        self.title = title
        self.message = message
    }

    /// What `discord.delete_user(notify_user=True)` inserts (AA 5.5's `allianceauth/services/modules/discord/tasks.py`).
    public static let discordAccountDisabled = HostNotification(
        level: .warning,
        title: "Discord Account Disabled",
        message: "Your Discord account was disabled automatically by Auth. "
            + "If you think this was a mistake, please contact an admin.")

    /// AA's `NOTIFICATIONS_MAX_PER_USER` default.
    public static let defaultMaxPerUser = 50
}
