import Foundation

/// An env file as shells and python-dotenv read it (the format of AA's `.env` and of systemd's
/// `EnvironmentFile` when it uses no shell features):
///
/// - lines end with `\n`, `\r\n` (edited on Windows) or `\r`; blank lines and `#` comments are skipped;
/// - `KEY=VALUE` or `export KEY=VALUE`, spaces around `=` allowed;
/// - `'single quotes'`: literal (`\'` and `\\` are python-dotenv's only escapes there), may span lines;
/// - `"double quotes"`: python-dotenv's escapes (`\n \r \t \\ \" \' \a \b \f \v \xHH \uHHHH \UHHHHHHHH`,
///   octal `\ooo`), may span lines;
/// - unquoted: up to the end of the line; ` #` starts a comment; surrounding whitespace is trimmed.
///
/// Errors give the line number and what is wrong, never the line's text (it may hold a secret).
struct EnvFile {
    struct ParseError: Error, Equatable {
        var line: Int
        var problem: String
    }

    private(set) var values: [String: String] = [:]
    /// Keys in file order (the last assignment wins, as in a shell).
    private(set) var order: [String] = []

    init(parsing text: String) throws(ParseError) {
        let chars = Array(text.unicodeScalars)
        var i = 0
        var line = 1
        func peek(_ offset: Int = 0) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }
        func isBlank(_ c: Unicode.Scalar?) -> Bool { c == " " || c == "\t" }
        func isEnd(_ c: Unicode.Scalar?) -> Bool { c == nil || c == "\n" || c == "\r" }
        /// Consumes one line ending (`\r\n`, `\n` or `\r`).
        func newline() {
            if peek() == "\r" { i += 1; if peek() == "\n" { i += 1 } } else if peek() == "\n" { i += 1 }
            line += 1
        }
        func skipBlanks() { while isBlank(peek()) { i += 1 } }
        func skipToEndOfLine() { while !isEnd(peek()) { i += 1 } }

        while i < chars.count {
            skipBlanks()
            if isEnd(peek()) { if peek() == nil { break }; newline(); continue }
            if peek() == "#" { skipToEndOfLine(); continue }
            let startLine = line
            var key = ""
            while let c = peek(), !isEnd(c), c != "=", !isBlank(c) { key.unicodeScalars.append(c); i += 1 }
            if key == "export", isBlank(peek()) {
                skipBlanks()
                key = ""
                while let c = peek(), !isEnd(c), c != "=", !isBlank(c) { key.unicodeScalars.append(c); i += 1 }
            }
            skipBlanks()
            guard peek() == "=" else { throw ParseError(line: startLine, problem: "is not KEY=VALUE") }
            guard Self.isValidKey(key) else {
                throw ParseError(line: startLine, problem: "has no valid variable name before '=' (letters, digits, _)")
            }
            i += 1
            skipBlanks()
            var value = ""
            if let quote = peek(), quote == "'" || quote == "\"" {
                i += 1
                var closed = false
                while let c = peek() {
                    if c == quote { i += 1; closed = true; break }
                    if c == "\\", let next = peek(1) {
                        if quote == "'" {
                            if next == "'" || next == "\\" { value.unicodeScalars.append(next); i += 2 } else { value.unicodeScalars.append(c); i += 1 }
                            continue
                        }
                        i += 1
                        value.unicodeScalars.append(contentsOf: Self.doubleQuotedEscape(chars, &i))
                        continue
                    }
                    if c == "\r" {
                        // A quoted value spanning lines keeps `\n` (a Windows file's CR is not part of it).
                        newline()
                        value.unicodeScalars.append("\n")
                        continue
                    }
                    if c == "\n" { line += 1 }
                    value.unicodeScalars.append(c)
                    i += 1
                }
                guard closed else { throw ParseError(line: startLine, problem: "has a \(quote == "'" ? "single" : "double") quote that is never closed") }
                skipBlanks()
                if peek() == "#" { skipToEndOfLine() }
                guard isEnd(peek()) else { throw ParseError(line: line, problem: "has text after the closing quote") }
            } else {
                var raw = ""
                while let c = peek(), !isEnd(c) {
                    if c == "#", raw.isEmpty || raw.unicodeScalars.last.map({ $0 == " " || $0 == "\t" }) == true {
                        skipToEndOfLine()
                        break
                    }
                    raw.unicodeScalars.append(c)
                    i += 1
                }
                value = raw.trimmingCharacters(in: .whitespaces)
            }
            if values.updateValue(value, forKey: key) == nil { order.append(key) }
        }
    }

    static func isValidKey(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return key.unicodeScalars.allSatisfy { $0 == "_" || $0 == "." || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// Decodes one escape after a backslash in double quotes (Python's `unicode-escape`); `i` is past the
    /// backslash. Unknown escapes stay as written (backslash included), as in Python.
    private static func doubleQuotedEscape(_ chars: [Unicode.Scalar], _ i: inout Int) -> [Unicode.Scalar] {
        let c = chars[i]
        i += 1
        switch c {
        case "n": return ["\n"]
        case "r": return ["\r"]
        case "t": return ["\t"]
        case "\\": return ["\\"]
        case "\"": return ["\""]
        case "'": return ["'"]
        case "a": return ["\u{07}"]
        case "b": return ["\u{08}"]
        case "f": return ["\u{0C}"]
        case "v": return ["\u{0B}"]
        case "\n": return []  // line continuation
        case "x", "u", "U":
            let width = c == "x" ? 2 : c == "u" ? 4 : 8
            guard i + width <= chars.count else { return ["\\", c] }
            let digits = String(String.UnicodeScalarView(chars[i..<(i + width)]))
            guard let n = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(n) else { return ["\\", c] }
            i += width
            return [scalar]
        case "0"..."7":
            var n = c.value - 48
            var count = 1
            while count < 3, i < chars.count, ("0"..."7").contains(chars[i]) {
                n = n * 8 + chars[i].value - 48
                i += 1
                count += 1
            }
            return [Unicode.Scalar(n) ?? "?"]
        default: return ["\\", c]
        }
    }
}
