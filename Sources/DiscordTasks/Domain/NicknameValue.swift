/// A value of a nickname format key: Python `str`, or `int` (AA passes non-zero EVE ids as ints,
/// which matters for format specs such as `{corp_id:,}`).
public enum NicknameValue: Sendable, Hashable {
    case string(String)
    case int(Int64)

    /// Python's `str(value)`.
    public var text: String {
        switch self {
        case .string(let text): return text
        case .int(let number): return String(number)
        }
    }
}
