public import HostDatabase
import PythonCompat

/// The nickname `update_nickname` sends when the task gives none: the main character's, formatted through
/// the state's Discord name format (default `{character_name}`), stripped, cut to 32 code points.
public enum Nickname {
    /// Discord's (and AA's) nickname limit, in code points.
    public static let maxLength = 32

    /// `nickname[:32]`: the first 32 code points (an emoji sequence may be cut, as in AA).
    public static func truncate(_ nickname: String) -> String {
        PythonText.prefix(nickname, codePoints: maxLength)
    }

    /// The nickname to send for a user, ready for the request (formatted, stripped, truncated);
    /// nil when there is nothing to send: the user has no main character (AA returns False and the
    /// nickname is kept) or the format yields an empty string. Throws `NicknameFormatError` for a
    /// format AA would fail on (AA logs it and sends nothing).
    public static func forUser(profile: SyncProfile) throws -> String? {
        guard let main = profile.mainCharacter else { return nil }
        let formatted = try NicknameFormatter.format(
            profile.nicknameFormat ?? NicknameFormatter.defaultFormat,
            values: NicknameValues(character: main, username: profile.username))
        return formatted.isEmpty ? nil : truncate(formatted)
    }
}
