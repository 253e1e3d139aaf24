/// Python `str` rules: Python strings are sequences of code points, so lengths, slices and padding count
/// `unicodeScalars`, never Swift `Character`s.
public enum PythonText {
    /// `s[:count]`.
    public static func prefix(_ text: String, codePoints count: Int) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > count else { return text }
        return String(String.UnicodeScalarView(scalars.prefix(count)))
    }

    /// `str.isspace()` for one code point: bidirectional class WS, B or S, or category Zs.
    public static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `s.strip()`.
    public static func strip(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhitespace($0) }),
              let last = scalars.lastIndex(where: { !isWhitespace($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    /// `repr(s)`: see `pythonStringRepr`.
    public static func repr(_ text: String) -> String {
        pythonStringRepr(text)
    }

    /// `ascii(s)`: `repr(s)` with every non-ASCII code point escaped (`\xNN`, `\uNNNN`, `\UNNNNNNNN`).
    public static func ascii(_ text: String) -> String {
        var output = ""
        appendStringRepr(text, escapingNonASCII: true, to: &output)
        return output
    }
}
