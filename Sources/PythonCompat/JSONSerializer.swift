/// How to write JSON text.
public enum JSONStyle: Sendable, Hashable {
    /// Exactly Python's `json.dumps` defaults: separators `", "` and `": "`, `ensure_ascii=True`
    /// (non-ASCII and DEL as lowercase `\uXXXX`, astral characters as surrogate pairs), floats as
    /// Python's `repr`, `NaN`/`Infinity`/`-Infinity` for non-finite floats.
    case python
    /// No spaces, UTF-8 unescaped (only `"`, `\` and control characters are escaped), non-finite floats
    /// written as `null` so the output is always RFC 8259 JSON.
    case compact
}

extension JSONValue {
    /// The value as JSON text in `style`, keys in their stored order.
    public func serialized(_ style: JSONStyle = .python) -> [UInt8] {
        var writer = JSONWriter(style: style)
        writer.write(self)
        return writer.output
    }

    /// The value as JSON text in `style`.
    public func serializedString(_ style: JSONStyle = .python) -> String {
        String(decoding: serialized(style), as: UTF8.self)
    }

    /// Appends the JSON text of this value to `output`.
    public func serialize(_ style: JSONStyle = .python, into output: inout [UInt8]) {
        var writer = JSONWriter(style: style)
        swap(&writer.output, &output)
        writer.write(self)
        swap(&writer.output, &output)
    }
}

extension JSONObject {
    /// The object as JSON text in `style`, keys in their stored order.
    public func serialized(_ style: JSONStyle = .python) -> [UInt8] {
        JSONValue.object(self).serialized(style)
    }

    /// The object as JSON text in `style`.
    public func serializedString(_ style: JSONStyle = .python) -> String {
        JSONValue.object(self).serializedString(style)
    }
}

/// Writes `s` as a JSON string literal (with quotes) in `style`.
public func jsonStringLiteral(_ s: String, style: JSONStyle = .python) -> String {
    var writer = JSONWriter(style: style)
    writer.writeString(s)
    return String(decoding: writer.output, as: UTF8.self)
}

/// Appends `s` as a JSON string literal (with quotes) in `style` to `output`: for writers of other JSON trees.
public func appendJSONString(_ s: String, style: JSONStyle = .python, to output: inout [UInt8]) {
    var writer = JSONWriter(style: style)
    swap(&writer.output, &output)
    writer.writeString(s)
    swap(&writer.output, &output)
}

struct JSONWriter {
    let style: JSONStyle
    var output: [UInt8] = []

    init(style: JSONStyle) {
        self.style = style
    }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .int(let number): output.append(contentsOf: String(number).utf8)
        case .double(let number): writeDouble(number)
        case .string(let text): writeString(text)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { writeItemSeparator() }
                first = false
                write(element)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            var first = true
            for (key, element) in object {
                if !first { writeItemSeparator() }
                first = false
                writeString(key)
                output.append(UInt8(ascii: ":"))
                if style == .python { output.append(UInt8(ascii: " ")) }
                write(element)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    @inline(__always)
    private mutating func writeItemSeparator() {
        output.append(UInt8(ascii: ","))
        if style == .python { output.append(UInt8(ascii: " ")) }
    }

    private mutating func writeDouble(_ number: Double) {
        if number.isNaN {
            append(style == .python ? "NaN" : "null")
        } else if number.isInfinite {
            if style == .python {
                append(number < 0 ? "-Infinity" : "Infinity")
            } else {
                append("null")
            }
        } else {
            output.append(contentsOf: pythonFloatRepr(number).utf8)
        }
    }

    mutating func writeString(_ text: String) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { writeStringBody($0) }
        output.append(UInt8(ascii: "\""))
    }

    private mutating func writeStringBody(_ bytes: UnsafeBufferPointer<UInt8>) {
        let asciiOnly = style == .python
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            let plain: Bool
            if byte >= 0x20 && byte < 0x7F {
                plain = byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
            } else if byte >= 0x80 || byte == 0x7F {
                plain = !asciiOnly
            } else {
                plain = false
            }
            if plain {
                index += 1
                continue
            }
            if runStart < index {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            }
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            default:
                if byte < 0x80 {
                    writeUnicodeEscape(UInt16(byte))
                    index += 1
                    runStart = index
                    continue
                }
                // Non-ASCII in python style: decode the scalar (the String is valid UTF-8).
                let (scalar, length) = Self.decodeScalar(bytes, at: index)
                if scalar >= 0x10000 {
                    let value = scalar - 0x10000
                    writeUnicodeEscape(UInt16(0xD800 + (value >> 10)))
                    writeUnicodeEscape(UInt16(0xDC00 + (value & 0x3FF)))
                } else {
                    writeUnicodeEscape(UInt16(scalar))
                }
                index += length
                runStart = index
                continue
            }
            index += 1
            runStart = index
        }
        if runStart < count {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
        }
    }

    private mutating func writeUnicodeEscape(_ unit: UInt16) {
        @inline(__always) func hex(_ nibble: UInt16) -> UInt8 {
            nibble < 10 ? UInt8(nibble) + 0x30 : UInt8(nibble) + 0x57
        }
        output.append(UInt8(ascii: "\\"))
        output.append(UInt8(ascii: "u"))
        output.append(hex(unit >> 12 & 0xF))
        output.append(hex(unit >> 8 & 0xF))
        output.append(hex(unit >> 4 & 0xF))
        output.append(hex(unit & 0xF))
    }

    private static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[index])
        if lead < 0xE0 {
            return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2)
        } else if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3)
        } else {
            return (
                (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                    | UInt32(bytes[index + 3] & 0x3F), 4
            )
        }
    }
}
