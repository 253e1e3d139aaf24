import PythonCompat

/// AA's `NameFormatter.format_name()`: `string.Formatter().vformat(format, args=[], kwargs=values).strip()`
/// with Python's semantics (`allianceauth/services/hooks.py` in AA 5.5), following CPython's `string.Formatter` and
/// `Objects/stringlib/unicode_format.h`:
/// - `{key}` fields, `{{` and `}}` for literal braces;
/// - conversions `!s`, `!r`, `!a`; format specs for `str` and `int` values (`PythonFormatSpec`),
///   including one level of nested fields inside a spec (`{character_name:>{corp_id}}`);
/// - `field[index]` on a `str` value; attribute access (`.attr`) is refused as `unsupported`;
/// - errors as Python raises them: unknown key → KeyError, `{}`/`{0}` → IndexError (AA passes no
///   positional arguments), malformed formats → ValueError.
public enum NicknameFormatter {
    /// The Discord service's default when no format is configured for the user's state.
    public static let defaultFormat = "{character_name}"

    /// Formats and strips (Python `str.strip()`); not truncated (see `Nickname.truncate`).
    public static func format(_ format: String, values: NicknameValues) throws -> String {
        do {
            return PythonText.strip(try render(Array(format.unicodeScalars), values, depth: 2))
        } catch let failure as PythonFormatSpec.Failure {
            throw NicknameFormatError(failure.kind, failure.message, format: format)
        } catch let failure as KeyFailure {
            throw NicknameFormatError(.keyError, PythonText.repr(failure.key), format: format, unknownKey: failure.key)
        }
    }

    private struct KeyFailure: Error {
        let key: String
    }

    private typealias Failure = PythonFormatSpec.Failure

    /// `Formatter._vformat`: literal text and fields; `depth` bounds nesting in format specs.
    private static func render(_ format: [Unicode.Scalar], _ values: NicknameValues, depth: Int) throws -> String {
        guard depth >= 0 else { throw Failure(kind: .valueError, message: "Max string recursion exceeded") }
        var out = String.UnicodeScalarView()
        var index = 0
        while index < format.count {
            let scalar = format[index]
            index += 1
            switch scalar {
            case "{":
                if index < format.count, format[index] == "{" {
                    out.append("{")
                    index += 1
                } else if index == format.count {
                    throw Failure(kind: .valueError, message: "Single '{' encountered in format string")
                } else {
                    let field = try parseField(format, &index)
                    out.append(contentsOf: try renderField(field, values, depth: depth).unicodeScalars)
                }
            case "}":
                guard index < format.count, format[index] == "}" else {
                    throw Failure(kind: .valueError, message: "Single '}' encountered in format string")
                }
                out.append("}")
                index += 1
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    private struct Field {
        var name: [Unicode.Scalar]
        var conversion: Unicode.Scalar?
        var spec: [Unicode.Scalar]
    }

    /// CPython's `parse_field`: reads `name[!conversion][:spec]}` from just after the opening
    /// brace; leaves `index` after the closing one. Brackets in the name may hold braces; braces
    /// in the spec nest.
    private static func parseField(_ format: [Unicode.Scalar], _ index: inout Int) throws -> Field {
        let nameStart = index
        var terminator: Unicode.Scalar?
        scan: while index < format.count {
            let scalar = format[index]
            index += 1
            switch scalar {
            case "{":
                throw Failure(kind: .valueError, message: "unexpected '{' in field name")
            case "[":
                while index < format.count, format[index] != "]" { index += 1 }
            case "}", ":", "!":
                terminator = scalar
                break scan
            default:
                continue
            }
        }
        guard let terminator else {
            throw Failure(kind: .valueError, message: "expected '}' before end of string")
        }
        var field = Field(name: Array(format[nameStart..<(index - 1)]), conversion: nil, spec: [])
        if terminator == "}" { return field }
        if terminator == "!" {
            guard index < format.count else {
                throw Failure(kind: .valueError, message: "end of string while looking for conversion specifier")
            }
            field.conversion = format[index]
            index += 1
            if index < format.count {
                let next = format[index]
                index += 1
                if next == "}" { return field }
                guard next == ":" else {
                    throw Failure(kind: .valueError, message: "expected ':' after conversion specifier")
                }
            }
        }
        let specStart = index
        var nesting = 1
        while index < format.count {
            let scalar = format[index]
            index += 1
            if scalar == "{" {
                nesting += 1
            } else if scalar == "}" {
                nesting -= 1
                if nesting == 0 {
                    field.spec = Array(format[specStart..<(index - 1)])
                    return field
                }
            }
        }
        throw Failure(kind: .valueError, message: "unmatched '{' in format spec")
    }

    /// Looks the value up, converts it, expands the spec, formats.
    private static func renderField(_ field: Field, _ values: NicknameValues, depth: Int) throws -> String {
        var value = try lookUp(field.name, values)
        switch field.conversion {
        case nil: break
        case "s": value = .string(value.text)
        case "r": value = .string(Self.repr(value))
        case "a": value = .string(Self.ascii(value))
        case let other?:
            throw Failure(kind: .valueError, message: "Unknown conversion specifier \(other)")
        }
        let expandedSpec = try render(field.spec, values, depth: depth - 1)
        return try PythonFormatSpec(Array(expandedSpec.unicodeScalars)).apply(to: value)
    }

    /// `Formatter.get_field`: the key, then `[index]` / `.attribute` parts left to right.
    private static func lookUp(_ name: [Unicode.Scalar], _ values: NicknameValues) throws -> NicknameValue {
        var position = 0
        while position < name.count, name[position] != ".", name[position] != "[" { position += 1 }
        let first = String(String.UnicodeScalarView(name[..<position]))
        if first.isEmpty && position == name.count || isDecimal(first) {
            // Automatic or explicit positional argument: AA passes args=[].
            throw Failure(kind: .indexError, message: "list index out of range")
        }
        guard var value = values.value(forKey: first) else { throw KeyFailure(key: first) }
        while position < name.count {
            let opener = name[position]
            position += 1
            let start = position
            switch opener {
            case "[":
                while position < name.count, name[position] != "]" { position += 1 }
                guard position < name.count else {
                    throw Failure(kind: .valueError, message: "Missing ']' in format string")
                }
                let key = String(String.UnicodeScalarView(name[start..<position]))
                position += 1
                guard !key.isEmpty else { throw Failure(kind: .valueError, message: "Empty attribute in format string") }
                value = try subscriptValue(value, key)
            case ".":
                while position < name.count, name[position] != ".", name[position] != "[" { position += 1 }
                let attribute = String(String.UnicodeScalarView(name[start..<position]))
                guard !attribute.isEmpty else {
                    throw Failure(kind: .valueError, message: "Empty attribute in format string")
                }
                throw Failure(kind: .unsupported, message: "attribute access '.\(attribute)'")
            default:
                throw Failure(kind: .valueError, message: "Only '.' or '[' may follow ']' in format field specifier")
            }
        }
        return value
    }

    /// `value[key]`: a code point of a `str` for a decimal key.
    private static func subscriptValue(_ value: NicknameValue, _ key: String) throws -> NicknameValue {
        switch value {
        case .int:
            throw Failure(kind: .typeError, message: "'int' object is not subscriptable")
        case .string(let text):
            guard isDecimal(key), let index = Int(key) else {
                throw Failure(kind: .typeError, message: "string indices must be integers, not 'str'")
            }
            let scalars = Array(text.unicodeScalars)
            guard index < scalars.count else { throw Failure(kind: .indexError, message: "string index out of range") }
            return .string(String(scalars[index]))
        }
    }

    private static func isDecimal(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
    }

    private static func repr(_ value: NicknameValue) -> String {
        switch value {
        case .string(let text): return PythonText.repr(text)
        case .int(let number): return String(number)
        }
    }

    private static func ascii(_ value: NicknameValue) -> String {
        switch value {
        case .string(let text): return PythonText.ascii(text)
        case .int(let number): return String(number)
        }
    }
}
