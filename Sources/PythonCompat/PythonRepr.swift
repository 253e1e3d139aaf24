/// Python's `str()` of the value `json.loads` would produce: strings raw, everything else as `repr`.
///
/// `None`, `True`, `False`, `1`, `2.5`, `abc`, `[1, 'a']`, `{'a': None}`.
public func pythonStr(_ value: JSONValue) -> String {
    if case .string(let text) = value { return text }
    return pythonRepr(value)
}

/// Python's `repr()` of the value `json.loads` would produce.
///
/// `None`, `True`, `False`, `1`, `1e-05`, `'abc'` (Python's quote choice and escapes), `[1, 'a']`,
/// `{'a': None}` (keys in stored order).
public func pythonRepr(_ value: JSONValue) -> String {
    var output = ""
    appendRepr(value, to: &output)
    return output
}

/// Python's `repr()` of a tuple built from `elements`: `()`, `(1,)`, `(1, 'a')`
/// (Celery's `argsrepr` for `.delay(…)`).
public func pythonTupleRepr(_ elements: [JSONValue]) -> String {
    var output = "("
    for (position, element) in elements.enumerated() {
        if position > 0 { output += ", " }
        appendRepr(element, to: &output)
    }
    if elements.count == 1 { output += "," }
    output += ")"
    return output
}

/// Python's `repr()` of a `str`: single quotes unless the text contains `'` and no `"`;
/// `\\`, `\n`, `\r`, `\t`, the quote, `\xNN` for other control characters and non-printable Latin-1,
/// `\uNNNN`/`\UNNNNNNNN` for other non-printable characters; printable non-ASCII kept.
public func pythonStringRepr(_ text: String) -> String {
    var output = ""
    appendStringRepr(text, to: &output)
    return output
}

/// Python's `repr()` (and `str()`) of a `float`: the shortest digits that round-trip, fixed notation for
/// decimal exponents -4 ..< 16 (`0.0001`, `1000000000000000.0`), else scientific (`1e-05`, `1e+16`);
/// `nan`, `inf`, `-inf`.
public func pythonFloatRepr(_ number: Double) -> String {
    if number.isNaN { return "nan" }
    if number.isInfinite { return number < 0 ? "-inf" : "inf" }
    let (negative, digits, pointPosition) = shortestDigits(number)
    var output = negative ? "-" : ""
    guard !digits.isEmpty else { return output + "0.0" }
    // Python: value = 0.DIGITS × 10^pointPosition; scientific when pointPosition <= -4 or > 16.
    if pointPosition > -4 && pointPosition <= 16 {
        if pointPosition <= 0 {
            output += "0." + String(repeating: "0", count: -pointPosition) + String(digits)
        } else if pointPosition >= digits.count {
            output += String(digits) + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        } else {
            output += String(digits[..<pointPosition]) + "." + String(digits[pointPosition...])
        }
    } else {
        let exponent = pointPosition - 1
        output.append(digits[0])
        if digits.count > 1 { output += "." + String(digits[1...]) }
        output += exponent < 0 ? "e-" : "e+"
        let magnitude = String(abs(exponent))
        if magnitude.count < 2 { output += "0" }
        output += magnitude
    }
    return output
}

/// Decomposes Swift's shortest round-trip representation into sign, significant digits (no leading or
/// trailing zeros) and the decimal point position (value = 0.DIGITS × 10^position).
private func shortestDigits(_ number: Double) -> (negative: Bool, digits: [Character], pointPosition: Int) {
    let text = number.description  // shortest round-trip digits, like Python's repr
    var negative = false
    var integerPart: [Character] = []
    var fractionPart: [Character] = []
    var exponentText = ""
    var state = 0  // 0 integer, 1 fraction, 2 exponent
    for character in text {
        switch (state, character) {
        case (0, "-"): negative = true
        case (0, "."): state = 1
        case (_, "e"), (_, "E"): state = 2
        case (0, _): integerPart.append(character)
        case (1, _): fractionPart.append(character)
        default: exponentText.append(character)
        }
    }
    let exponent = Int(exponentText) ?? 0
    var digits = integerPart + fractionPart
    var pointPosition = integerPart.count + exponent
    var leading = 0
    while leading < digits.count && digits[leading] == "0" { leading += 1 }
    digits.removeFirst(leading)
    pointPosition -= leading
    while let last = digits.last, last == "0" { digits.removeLast() }
    return (negative, digits, pointPosition)
}

private func appendRepr(_ value: JSONValue, to output: inout String) {
    switch value {
    case .null: output += "None"
    case .bool(let flag): output += flag ? "True" : "False"
    case .int(let number): output += String(number)
    case .double(let number): output += pythonFloatRepr(number)
    case .string(let text): appendStringRepr(text, to: &output)
    case .array(let elements):
        output += "["
        for (position, element) in elements.enumerated() {
            if position > 0 { output += ", " }
            appendRepr(element, to: &output)
        }
        output += "]"
    case .object(let object):
        output += "{"
        var first = true
        for (key, element) in object {
            if !first { output += ", " }
            first = false
            appendStringRepr(key, to: &output)
            output += ": "
            appendRepr(element, to: &output)
        }
        output += "}"
    }
}

func appendStringRepr(_ text: String, escapingNonASCII: Bool = false, to output: inout String) {
    var hasSingle = false
    var hasDouble = false
    for scalar in text.unicodeScalars {
        if scalar == "'" { hasSingle = true } else if scalar == "\"" { hasDouble = true }
    }
    let quote: Unicode.Scalar = (hasSingle && !hasDouble) ? "\"" : "'"
    var scalars = String.UnicodeScalarView()
    scalars.append(quote)
    for scalar in text.unicodeScalars {
        switch scalar {
        case quote, "\\":
            scalars.append("\\")
            scalars.append(scalar)
        case "\t": scalars.append(contentsOf: "\\t".unicodeScalars)
        case "\n": scalars.append(contentsOf: "\\n".unicodeScalars)
        case "\r": scalars.append(contentsOf: "\\r".unicodeScalars)
        default:
            let value = scalar.value
            if value < 0x20 || value == 0x7F {
                scalars.append(contentsOf: hexEscape("x", value, width: 2).unicodeScalars)
            } else if value < 0x7F || (!escapingNonASCII && isPythonPrintable(scalar)) {
                scalars.append(scalar)
            } else if value <= 0xFF {
                scalars.append(contentsOf: hexEscape("x", value, width: 2).unicodeScalars)
            } else if value <= 0xFFFF {
                scalars.append(contentsOf: hexEscape("u", value, width: 4).unicodeScalars)
            } else {
                scalars.append(contentsOf: hexEscape("U", value, width: 8).unicodeScalars)
            }
        }
    }
    scalars.append(quote)
    output += String(scalars)
}

private func hexEscape(_ letter: String, _ value: UInt32, width: Int) -> String {
    let hex = String(value, radix: 16, uppercase: false)
    return "\\" + letter + String(repeating: "0", count: max(0, width - hex.count)) + hex
}

/// Python's `str.isprintable()` for one character: not in Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs
/// (the ASCII space excepted).
private func isPythonPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return true }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned,
        .lineSeparator, .paragraphSeparator, .spaceSeparator:
        return false
    default:
        return true
    }
}
