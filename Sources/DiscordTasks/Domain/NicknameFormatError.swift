import PythonCompat

/// Why a nickname format could not be applied, with the Python exception AA's `str.format` would
/// have raised (AA logs it and sends nothing).
public struct NicknameFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case keyError = "KeyError"
        case indexError = "IndexError"
        case valueError = "ValueError"
        case typeError = "TypeError"
        case overflowError = "OverflowError"
        /// Python would format this, but this implementation does not (attribute access, float
        /// presentation types, widths above 10,000).
        case unsupported = "Unsupported"
    }

    public let kind: Kind
    /// The exception's message, e.g. `'corp_nmae'` for a KeyError.
    public let message: String
    /// The format string.
    public let format: String
    /// The unknown key, for `.keyError`.
    public let unknownKey: String?

    init(_ kind: Kind, _ message: String, format: String, unknownKey: String? = nil) {
        self.kind = kind
        self.message = message
        self.format = format
        self.unknownKey = unknownKey
    }

    public var description: String {
        "\(kind.rawValue): \(message) in nickname format \(PythonText.repr(format))"
    }
}
