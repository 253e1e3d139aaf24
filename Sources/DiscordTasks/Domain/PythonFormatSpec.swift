/// A Python format specification (`[[fill]align][sign][z][#][0][width][,|_][.precision][type]`)
/// and `format(value, spec)` for `str` and `int` values, following CPython's
/// `Python/formatter_unicode.c` (3.11). Widths and precisions count code points.
struct PythonFormatSpec {
    /// Raised while parsing or applying a spec; the formatter adds the format string.
    struct Failure: Error {
        let kind: NicknameFormatError.Kind
        let message: String
    }

    enum Grouping { case none, comma, underscore }

    var fill: Unicode.Scalar = " "
    var fillSpecified = false
    var align: Unicode.Scalar?
    var sign: Unicode.Scalar?
    var coerceNegativeZero = false
    var alternate = false
    var zeroPadding = false
    var width: Int?
    var grouping = Grouping.none
    var precision: Int?
    let text: String

    /// Larger widths are refused instead of allocating giant strings (Python pads to any width;
    /// a precision only cuts, so it has no limit).
    static let maximumWidth = 10_000

    init(_ spec: [Unicode.Scalar]) throws {
        text = String(String.UnicodeScalarView(spec))
        var position = 0
        func peek(_ offset: Int = 0) -> Unicode.Scalar? {
            position + offset < spec.count ? spec[position + offset] : nil
        }
        func isAlign(_ scalar: Unicode.Scalar?) -> Bool { scalar.map { "<>=^".unicodeScalars.contains($0) } ?? false }

        if spec.count >= 2, isAlign(spec[1]) {
            fill = spec[0]
            fillSpecified = true
            align = spec[1]
            position = 2
        } else if isAlign(peek()) {
            align = peek()
            position = 1
        }
        if let scalar = peek(), "+- ".unicodeScalars.contains(scalar) {
            sign = scalar
            position += 1
        }
        if peek() == "z" {
            coerceNegativeZero = true
            position += 1
        }
        if peek() == "#" {
            alternate = true
            position += 1
        }
        if !fillSpecified, peek() == "0" {
            zeroPadding = true
            position += 1
        }
        width = Self.integer(spec, &position)
        if let width, width > Self.maximumWidth {
            throw Failure(kind: .unsupported, message: "width \(width) above \(Self.maximumWidth)")
        }
        if peek() == "," {
            grouping = .comma
            position += 1
        }
        if peek() == "_" {
            guard grouping == .none else { throw Failure(kind: .valueError, message: "Cannot specify both ',' and '_'.") }
            grouping = .underscore
            position += 1
        }
        if peek() == ",", grouping == .underscore {
            throw Failure(kind: .valueError, message: "Cannot specify both ',' and '_'.")
        }
        if peek() == "." {
            position += 1
            guard let digits = Self.integer(spec, &position) else {
                throw Failure(kind: .valueError, message: "Format specifier missing precision")
            }
            precision = digits
        }
        remainder = Array(spec[position...])
    }

    /// What is left after the precision: the type character, or garbage (reported per value type).
    private let remainder: [Unicode.Scalar]

    /// `format(value, spec)`.
    func apply(to value: NicknameValue) throws -> String {
        if text.isEmpty { return value.text }
        switch value {
        case .string(let string): return try format(string: string)
        case .int(let number): return try format(int: number)
        }
    }

    // MARK: - str

    private func format(string: String) throws -> String {
        let type = try resolvedType(default: "s", typeName: "str")
        if let message = Self.groupingError(grouping, type: type) { throw Failure(kind: .valueError, message: message) }
        guard type == "s" else { throw Self.unknownCode(type, "str") }
        if let sign {
            throw Failure(kind: .valueError, message: sign == " "
                ? "Space not allowed in string format specifier" : "Sign not allowed in string format specifier")
        }
        if coerceNegativeZero {
            throw Failure(kind: .valueError, message: "Negative zero coercion (z) not allowed in string format specifier")
        }
        if alternate {
            throw Failure(kind: .valueError, message: "Alternate form (#) not allowed in string format specifier")
        }
        if align == "=" {
            throw Failure(kind: .valueError, message: "'=' alignment not allowed in string format specifier")
        }
        var scalars = Array(string.unicodeScalars)
        if let precision, scalars.count > precision { scalars = Array(scalars[..<precision]) }
        return pad(scalars, align: align ?? "<", fill: zeroPadding ? "0" : fill)
    }

    // MARK: - int

    private func format(int number: Int64) throws -> String {
        let type = try resolvedType(default: "d", typeName: "int")
        if let message = Self.groupingError(grouping, type: type) { throw Failure(kind: .valueError, message: message) }
        switch type {
        case "b", "c", "d", "o", "x", "X", "n":
            break
        case "e", "E", "f", "F", "g", "G", "%":
            throw Failure(kind: .unsupported, message: "float presentation type '\(type)' for an integer key")
        default:
            throw Self.unknownCode(type, "int")
        }
        if precision != nil {
            throw Failure(kind: .valueError, message: "Precision not allowed in integer format specifier")
        }
        if coerceNegativeZero {
            throw Failure(kind: .valueError, message: "Negative zero coercion (z) not allowed in integer format specifier")
        }
        let fill: Unicode.Scalar = zeroPadding ? "0" : self.fill
        let align = self.align ?? (zeroPadding ? "=" : ">")
        let width = self.width ?? -1
        var signText = ""
        var prefix = ""
        var digits: [Unicode.Scalar]
        if type == "c" {
            if sign != nil {
                throw Failure(kind: .valueError, message: "Sign not allowed with integer format specifier 'c'")
            }
            if alternate {
                throw Failure(kind: .valueError, message: "Alternate form (#) not allowed with integer format specifier 'c'")
            }
            guard (0...0x10FFFF).contains(number), let scalar = Unicode.Scalar(UInt32(number)) else {
                throw Failure(kind: .overflowError, message: "%c arg not in range(0x110000)")
            }
            // 'c' output is copied, not grouped or zero-filled as digits.
            return pad([scalar], align: align == "=" ? ">" : align, fill: fill, width: width)
        }
        let radix: Int
        switch type {
        case "b": radix = 2; prefix = "0b"
        case "o": radix = 8; prefix = "0o"
        case "x": radix = 16; prefix = "0x"
        case "X": radix = 16; prefix = "0X"
        default: radix = 10
        }
        if !alternate { prefix = "" }
        var magnitude = String(number.magnitude, radix: radix)
        if type == "X" { magnitude = magnitude.uppercased() }
        digits = Array(magnitude.unicodeScalars)
        switch sign {
        case "+": signText = number < 0 ? "-" : "+"
        case " ": signText = number < 0 ? "-" : " "
        default: signText = number < 0 ? "-" : ""
        }
        let fixed = signText.unicodeScalars.count + prefix.unicodeScalars.count
        let minimumDigits = fill == "0" && align == "=" ? width - fixed : 0
        let groupSize: Int? = switch grouping {
        case .none: nil
        case .comma: 3
        case .underscore: radix == 10 ? 3 : 4
        }
        let grouped = Self.group(digits, minimumWidth: minimumDigits, size: groupSize,
                                 separator: grouping == .comma ? "," : "_")
        let padding = width - fixed - grouped.count
        var out = String.UnicodeScalarView()
        func fillWith(_ count: Int) { for _ in 0..<max(0, count) { out.append(fill) } }
        switch align {
        case "<":
            out.append(contentsOf: signText.unicodeScalars + prefix.unicodeScalars + grouped)
            fillWith(padding)
        case "^":
            fillWith(padding / 2)
            out.append(contentsOf: signText.unicodeScalars + prefix.unicodeScalars + grouped)
            fillWith(padding - padding / 2)
        case "=":
            out.append(contentsOf: signText.unicodeScalars + prefix.unicodeScalars)
            fillWith(padding)
            out.append(contentsOf: grouped)
        default:
            fillWith(padding)
            out.append(contentsOf: signText.unicodeScalars + prefix.unicodeScalars + grouped)
        }
        return String(out)
    }

    /// CPython's `_PyUnicode_InsertThousandsGrouping`: groups from the right, and pads with
    /// zero digits (grouped too) up to `minimumWidth`.
    private static func group(
        _ digits: [Unicode.Scalar], minimumWidth: Int, size: Int?, separator: Unicode.Scalar
    ) -> [Unicode.Scalar] {
        guard let size else {
            let zeros = max(0, max(minimumWidth, 1) - digits.count)
            return Array(repeating: "0", count: zeros) + digits
        }
        var pieces: [[Unicode.Scalar]] = []
        var remaining = digits.count
        var minimum = minimumWidth
        var end = digits.count
        while true {
            let length = min(size, max(remaining, minimum, 1))
            let zeros = max(0, length - remaining)
            let taken = max(0, min(remaining, length))
            pieces.append(Array(repeating: "0", count: zeros) + digits[(end - taken)..<end])
            end -= taken
            remaining -= taken
            minimum -= size
            if remaining <= 0 && minimum <= 0 { break }
            minimum -= 1  // the separator's width
        }
        var out: [Unicode.Scalar] = []
        for (index, piece) in pieces.reversed().enumerated() {
            if index > 0 { out.append(separator) }
            out.append(contentsOf: piece)
        }
        return out
    }

    // MARK: - Shared

    private func resolvedType(default defaultType: Unicode.Scalar, typeName: String) throws -> Unicode.Scalar {
        switch remainder.count {
        case 0: return defaultType
        case 1: return remainder[0]
        default:
            throw Failure(kind: .valueError, message: "Invalid format specifier '\(text)' for object of type '\(typeName)'")
        }
    }

    private static func groupingError(_ grouping: Grouping, type: Unicode.Scalar) -> String? {
        guard grouping != .none else { return nil }
        switch type {
        case "d", "e", "f", "g", "E", "G", "%", "F":
            return nil
        case "b", "o", "x", "X":
            return grouping == .underscore ? nil : "Cannot specify ',' with '\(type)'."
        default:
            let symbol = grouping == .comma ? "," : "_"
            return "Cannot specify '\(symbol)' with '\(type)'."
        }
    }

    private static func unknownCode(_ type: Unicode.Scalar, _ typeName: String) -> Failure {
        Failure(kind: .valueError, message: "Unknown format code '\(type)' for object of type '\(typeName)'")
    }

    private func pad(_ scalars: [Unicode.Scalar], align: Unicode.Scalar, fill: Unicode.Scalar, width: Int? = nil)
        -> String
    {
        let total = max(width ?? self.width ?? 0, scalars.count)
        let left: Int = switch align {
        case ">": total - scalars.count
        case "^": (total - scalars.count) / 2
        default: 0
        }
        var out = String.UnicodeScalarView()
        for _ in 0..<left { out.append(fill) }
        out.append(contentsOf: scalars)
        for _ in 0..<(total - scalars.count - left) { out.append(fill) }
        return String(out)
    }

    /// Parses decimal digits at `position` (any Unicode decimal digit, as CPython); nil when there
    /// are none. Saturates instead of overflowing.
    private static func integer(_ spec: [Unicode.Scalar], _ position: inout Int) -> Int? {
        var value = 0
        var consumed = 0
        while position < spec.count, let digit = decimalDigit(spec[position]) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            value = overflow1 || overflow2 ? Int.max : sum
            position += 1
            consumed += 1
        }
        return consumed == 0 ? nil : value
    }

    private static func decimalDigit(_ scalar: Unicode.Scalar) -> Int? {
        guard scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue else { return nil }
        return Int(value)
    }
}
