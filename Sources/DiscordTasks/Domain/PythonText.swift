/// Python `str` behaviour the domain needs: Python strings are sequences of code points, so
/// lengths, slices and padding count `unicodeScalars`, never Swift `Character`s.
enum PythonText {
    /// `s[:count]`.
    static func prefix(_ text: String, codePoints count: Int) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > count else { return text }
        return String(String.UnicodeScalarView(scalars.prefix(count)))
    }

    /// `str.isspace()` for one code point: bidirectional class WS, B or S, or category Zs.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `s.strip()`.
    static func strip(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhitespace($0) }),
              let last = scalars.lastIndex(where: { !isWhitespace($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    /// `repr(s)`.
    static func repr(_ text: String) -> String {
        quoted(text, escapingNonASCII: false)
    }

    /// `ascii(s)`.
    static func ascii(_ text: String) -> String {
        quoted(text, escapingNonASCII: true)
    }

    private static func quoted(_ text: String, escapingNonASCII: Bool) -> String {
        let scalars = text.unicodeScalars
        let quote: Unicode.Scalar = scalars.contains("'") && !scalars.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for scalar in scalars {
            switch scalar {
            case quote, "\\":
                out.append("\\")
                out.append(scalar)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            default:
                let value = scalar.value
                if value < 0x20 || value == 0x7F {
                    out.append(contentsOf: hexEscape(value, "x", 2).unicodeScalars)
                } else if value < 0x7F || (!escapingNonASCII && isPrintable(scalar)) {
                    out.append(scalar)
                } else if value <= 0xFF {
                    out.append(contentsOf: hexEscape(value, "x", 2).unicodeScalars)
                } else if value <= 0xFFFF {
                    out.append(contentsOf: hexEscape(value, "u", 4).unicodeScalars)
                } else {
                    out.append(contentsOf: hexEscape(value, "U", 8).unicodeScalars)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// `str.isprintable()` for one code point: not in categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs
    /// (the ASCII space excepted).
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func hexEscape(_ value: UInt32, _ letter: String, _ width: Int) -> String {
        let hex = String(value, radix: 16)
        return "\\" + letter + String(repeating: "0", count: max(0, width - hex.count)) + hex
    }
}
