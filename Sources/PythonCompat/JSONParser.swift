/// Why a byte sequence is not JSON, and where.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case empty
        case unexpectedEnd
        case unexpectedCharacter
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        case controlCharacterInString
        case invalidUTF8
        case tooDeep
        case trailingData
    }

    public var code: Code
    /// Byte offset into the input where the problem was found.
    public var offset: Int
    /// What was wrong, in words.
    public var message: String

    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Parser settings.
public struct JSONParseOptions: Sendable, Hashable {
    /// Accept Python's `NaN`, `Infinity` and `-Infinity` tokens (what `json.loads` accepts by default).
    public var allowNonFiniteNumbers: Bool
    /// Maximum nesting of arrays and objects.
    public var maxDepth: Int

    public init(allowNonFiniteNumbers: Bool = false, maxDepth: Int = 512) {
        self.allowNonFiniteNumbers = allowNonFiniteNumbers
        self.maxDepth = maxDepth
    }

    /// RFC 8259 only, depth 512.
    public static let strict = JSONParseOptions()
    /// RFC 8259 plus the non-finite number tokens Python's `json` module reads and writes.
    public static let python = JSONParseOptions(allowNonFiniteNumbers: true)
}

extension JSONValue {
    /// Parses one JSON text (RFC 8259): UTF-8, `\uXXXX` escapes with surrogate pairs (a lone surrogate
    /// becomes U+FFFD), no trailing garbage, nesting at most `options.maxDepth`. A leading UTF-8 byte
    /// order mark is skipped. Integers that fit `Int64` are `.int`, larger ones `.double`.
    public static func parse(
        _ bytes: some Collection<UInt8>, options: JSONParseOptions = .strict
    ) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>
        if let contiguous = bytes.withContiguousStorageIfAvailable({ parseBuffer($0, options: options) }) {
            result = contiguous
        } else {
            let array = Array(bytes)
            result = array.withUnsafeBufferPointer { parseBuffer($0, options: options) }
        }
        return try result.get()
    }

    /// Parses the UTF-8 form of `text`.
    public static func parse(_ text: String, options: JSONParseOptions = .strict) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8, options: options)
    }

    private static func parseBuffer(
        _ buffer: UnsafeBufferPointer<UInt8>, options: JSONParseOptions
    ) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(bytes: buffer, options: options)
        do {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }
}

// MARK: - Implementation

private enum ASCII {
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F
    static let comma: UInt8 = 0x2C
    static let colon: UInt8 = 0x3A
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
    static let minus: UInt8 = 0x2D
    static let plus: UInt8 = 0x2B
    static let dot: UInt8 = 0x2E
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let lowerE: UInt8 = 0x65
    static let upperE: UInt8 = 0x45
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
}

struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let options: JSONParseOptions
    var position = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, options: JSONParseOptions) {
        self.bytes = bytes
        self.options = options
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
        skipWhitespace()
        guard position < bytes.count else {
            throw JSONParseError(code: .empty, offset: position, message: "no JSON value (empty input)")
        }
        let value = try parseValue()
        skipWhitespace()
        guard position == bytes.count else {
            throw JSONParseError(
                code: .trailingData, offset: position,
                message: "unexpected \(describeByte(at: position)) after the JSON value")
        }
        return value
    }

    // MARK: Helpers

    @inline(__always)
    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case ASCII.space, ASCII.tab, ASCII.newline, ASCII.carriageReturn: position += 1
            default: return
            }
        }
    }

    func describeByte(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let byte = bytes[offset]
        if byte >= 0x21 && byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte 0x" + hex2(byte)
    }

    func hex2(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }

    func unexpected(_ expectation: String) -> JSONParseError {
        if position >= bytes.count {
            return JSONParseError(code: .unexpectedEnd, offset: position, message: "unexpected end of input, expected \(expectation)")
        }
        return JSONParseError(
            code: .unexpectedCharacter, offset: position,
            message: "unexpected \(describeByte(at: position)), expected \(expectation)")
    }

    // MARK: Values

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < bytes.count else { throw unexpected("a value") }
        switch bytes[position] {
        case ASCII.openBrace: return try parseObject()
        case ASCII.openBracket: return try parseArray()
        case ASCII.quote: return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "N") where options.allowNonFiniteNumbers:
            try expectLiteral("NaN")
            return .double(.nan)
        case UInt8(ascii: "I") where options.allowNonFiniteNumbers:
            try expectLiteral("Infinity")
            return .double(.infinity)
        case ASCII.minus, ASCII.zero...ASCII.nine:
            return try parseNumber()
        default:
            throw unexpected("a value")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = position
        let length = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected -> Bool in
            guard bytes.count - position >= length else { return false }
            for index in 0..<length where bytes[position + index] != expected[index] { return false }
            return true
        }
        guard matches else {
            throw JSONParseError(
                code: .unexpectedCharacter, offset: start,
                message: "invalid literal, expected '\(literal)'")
        }
        position += length
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > options.maxDepth {
            throw JSONParseError(
                code: .tooDeep, offset: position,
                message: "nesting deeper than \(options.maxDepth) levels")
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count && bytes[position] == ASCII.closeBrace {
            position += 1
            depth -= 1
            return .object(object)
        }
        while true {
            guard position < bytes.count, bytes[position] == ASCII.quote else {
                throw unexpected("a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == ASCII.colon else { throw unexpected("':'") }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            object[key] = value
            skipWhitespace()
            guard position < bytes.count else { throw unexpected("',' or '}'") }
            let byte = bytes[position]
            if byte == ASCII.comma {
                position += 1
                skipWhitespace()
            } else if byte == ASCII.closeBrace {
                position += 1
                depth -= 1
                return .object(object)
            } else {
                throw unexpected("',' or '}'")
            }
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // [
        var array: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == ASCII.closeBracket {
            position += 1
            depth -= 1
            return .array(array)
        }
        while true {
            array.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw unexpected("',' or ']'") }
            let byte = bytes[position]
            if byte == ASCII.comma {
                position += 1
                skipWhitespace()
            } else if byte == ASCII.closeBracket {
                position += 1
                depth -= 1
                return .array(array)
            } else {
                throw unexpected("',' or ']'")
            }
        }
    }

    // MARK: Strings

    /// Parses a string starting at the opening quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = position
        position += 1
        let contentStart = position
        var sawNonASCII = false
        // Fast path: no escapes.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ASCII.quote {
                let slice = UnsafeBufferPointer(rebasing: bytes[contentStart..<position])
                position += 1
                return try makeString(slice, nonASCII: sawNonASCII, stringStart: start)
            }
            if byte == ASCII.backslash { break }
            if byte < 0x20 {
                throw JSONParseError(
                    code: .controlCharacterInString, offset: position,
                    message: "control character 0x\(hex2(byte)) in string (must be escaped)")
            }
            if byte >= 0x80 { sawNonASCII = true }
            position += 1
        }
        guard position < bytes.count else {
            throw JSONParseError(code: .unexpectedEnd, offset: start, message: "unterminated string")
        }
        // Slow path: escapes present.
        var buffer: [UInt8] = []
        buffer.reserveCapacity(position - contentStart + 16)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ASCII.quote {
                position += 1
                return try makeString(buffer, nonASCII: sawNonASCII, stringStart: start)
            }
            if byte == ASCII.backslash {
                try parseEscape(into: &buffer)
                continue
            }
            if byte < 0x20 {
                throw JSONParseError(
                    code: .controlCharacterInString, offset: position,
                    message: "control character 0x\(hex2(byte)) in string (must be escaped)")
            }
            if byte >= 0x80 { sawNonASCII = true }
            buffer.append(byte)
            position += 1
        }
        throw JSONParseError(code: .unexpectedEnd, offset: start, message: "unterminated string")
    }

    func makeString(
        _ slice: some Collection<UInt8>, nonASCII: Bool, stringStart: Int
    ) throws(JSONParseError) -> String {
        if !nonASCII { return String(decoding: slice, as: UTF8.self) }
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw JSONParseError(
                code: .invalidUTF8, offset: stringStart, message: "string is not valid UTF-8")
        }
        return string
    }

    mutating func parseEscape(into buffer: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = position
        position += 1  // backslash
        guard position < bytes.count else {
            throw JSONParseError(code: .unexpectedEnd, offset: escapeStart, message: "unterminated escape")
        }
        let byte = bytes[position]
        position += 1
        switch byte {
        case ASCII.quote: buffer.append(ASCII.quote)
        case ASCII.backslash: buffer.append(ASCII.backslash)
        case ASCII.slash: buffer.append(ASCII.slash)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4(escapeStart: escapeStart)
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                // High surrogate: a low surrogate escape must follow, else U+FFFD.
                if position + 6 <= bytes.count, bytes[position] == ASCII.backslash,
                    bytes[position + 1] == UInt8(ascii: "u")
                {
                    let save = position
                    position += 2
                    let low = try parseHex4(escapeStart: save)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    } else {
                        position = save  // the next escape is parsed on its own
                        scalarValue = 0xFFFD
                    }
                } else {
                    scalarValue = 0xFFFD
                }
            } else if (0xDC00...0xDFFF).contains(unit) {
                scalarValue = 0xFFFD
            }
            appendUTF8(scalarValue, to: &buffer)
        default:
            throw JSONParseError(
                code: .invalidEscape, offset: escapeStart,
                message: "invalid escape '\\\(byte >= 0x21 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "0x" + hex2(byte))'")
        }
    }

    mutating func parseHex4(escapeStart: Int) throws(JSONParseError) -> UInt16 {
        guard position + 4 <= bytes.count else {
            throw JSONParseError(code: .invalidUnicodeEscape, offset: escapeStart, message: "incomplete \\u escape")
        }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case ASCII.zero...ASCII.nine: digit = byte - ASCII.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw JSONParseError(
                    code: .invalidUnicodeEscape, offset: escapeStart, message: "invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | (scalar >> 6)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | (scalar >> 12)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            buffer.append(UInt8(0xF0 | (scalar >> 18)))
            buffer.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    // MARK: Numbers

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var negative = false
        if bytes[position] == ASCII.minus {
            negative = true
            position += 1
            if options.allowNonFiniteNumbers, position < bytes.count, bytes[position] == UInt8(ascii: "I") {
                try expectLiteral("Infinity")
                return .double(-.infinity)
            }
        }
        guard position < bytes.count, (ASCII.zero...ASCII.nine).contains(bytes[position]) else {
            throw JSONParseError(code: .invalidNumber, offset: start, message: "invalid number: a digit must follow '-'")
        }
        // Integer part, accumulated negatively so Int64.min fits.
        var accumulator: Int64 = 0
        var overflow = false
        if bytes[position] == ASCII.zero {
            position += 1
        } else {
            while position < bytes.count, (ASCII.zero...ASCII.nine).contains(bytes[position]) {
                let digit = Int64(bytes[position] - ASCII.zero)
                if !overflow {
                    let (times10, o1) = accumulator.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.subtractingReportingOverflow(digit)
                    if o1 || o2 { overflow = true } else { accumulator = next }
                }
                position += 1
            }
        }
        var isInteger = true
        if position < bytes.count, bytes[position] == ASCII.dot {
            isInteger = false
            position += 1
            guard position < bytes.count, (ASCII.zero...ASCII.nine).contains(bytes[position]) else {
                throw JSONParseError(code: .invalidNumber, offset: start, message: "invalid number: a digit must follow '.'")
            }
            while position < bytes.count, (ASCII.zero...ASCII.nine).contains(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == ASCII.lowerE || bytes[position] == ASCII.upperE {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == ASCII.plus || bytes[position] == ASCII.minus { position += 1 }
            guard position < bytes.count, (ASCII.zero...ASCII.nine).contains(bytes[position]) else {
                throw JSONParseError(code: .invalidNumber, offset: start, message: "invalid number: a digit must follow the exponent")
            }
            while position < bytes.count, (ASCII.zero...ASCII.nine).contains(bytes[position]) { position += 1 }
        }
        if isInteger && !overflow {
            if negative { return .int(accumulator) }
            if accumulator != Int64.min { return .int(-accumulator) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let double = Double(text) else {
            throw JSONParseError(code: .invalidNumber, offset: start, message: "invalid number '\(text)'")
        }
        return .double(double)
    }
}
