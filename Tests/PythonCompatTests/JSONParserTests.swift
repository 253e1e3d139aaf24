import Testing
@testable import PythonCompat

@Suite struct JSONParserTests {
    @Test func scalars() throws {
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse("true") == .bool(true))
        #expect(try JSONValue.parse(" false ") == .bool(false))
        #expect(try JSONValue.parse("\"x\"") == .string("x"))
        #expect(try JSONValue.parse("0") == .int(0))
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse("-0.0") == .double(-0.0))
        #expect(try JSONValue.parse("42") == .int(42))
        #expect(try JSONValue.parse("-17") == .int(-17))
        #expect(try JSONValue.parse("9223372036854775807") == .int(.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9223372036854775808.0))
        #expect(try JSONValue.parse("10000000000000000000000") == .double(1e22))
        #expect(try JSONValue.parse("1.0") == .double(1.0))
        #expect(try JSONValue.parse("1E2") == .double(100))
        #expect(try JSONValue.parse("2.5e-8") == .double(2.5e-8))
        #expect(try JSONValue.parse("1e400") == .double(.infinity))
    }

    @Test func integersStayIntegers() throws {
        let value = try JSONValue.parse("[1, 1.0, 1e0]")
        #expect(value[0] == .int(1))
        #expect(value[1] == .double(1))
        #expect(value[2] == .double(1))
        #expect(value[0]?.intValue == 1)
        #expect(value[1]?.intValue == nil)
        #expect(value[1]?.numberValue == 1.0)
    }

    @Test func objectsKeepOrderAndLastDuplicateWins() throws {
        let value = try JSONValue.parse(#"{"b": 1, "a": 2, "b": 3}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a"])
        #expect(object["b"] == .int(3))
        #expect(value.serializedString() == #"{"b": 3, "a": 2}"#)
    }

    @Test func largeObjectLookup() throws {
        let text = "{" + (0..<500).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + ", \"k7\": -1}"
        let object = try #require(try JSONValue.parse(text).objectValue)
        #expect(object.count == 500)
        #expect(object["k499"] == .int(499))
        #expect(object["k7"] == .int(-1))
        #expect(object.keys[7] == "k7")
    }

    @Test func stringEscapes() throws {
        #expect(try JSONValue.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try JSONValue.parse(#""\u00e9\u00E9""#) == .string("éé"))
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONValue.parse(#""x\ud83dy""#) == .string("x\u{FFFD}y"))
        #expect(try JSONValue.parse(#""\ude00""#) == .string("\u{FFFD}"))
        #expect(try JSONValue.parse(#""\ud83d\u0041""#) == .string("\u{FFFD}A"))
        #expect(try JSONValue.parse("\"Ember Thukker 1 é 😀\"") == .string("Ember Thukker 1 é 😀"))
    }

    @Test func byteOrderMarkIsSkipped() throws {
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == [1])
    }

    @Test func nonFiniteTokensOnlyInPythonMode() throws {
        #expect(throws: JSONParseError.self) { try JSONValue.parse("NaN") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("[Infinity]") }
        let value = try JSONValue.parse("[NaN, Infinity, -Infinity]", options: .python)
        #expect(value[0]?.doubleValue?.isNaN == true)
        #expect(value[1] == .double(.infinity))
        #expect(value[2] == .double(-.infinity))
    }

    private func failure(_ text: String, options: JSONParseOptions = .strict) -> JSONParseError? {
        do {
            _ = try JSONValue.parse(text, options: options)
            return nil
        } catch {
            return error
        }
    }

    @Test func errorsNameTheProblemAndOffset() throws {
        let cases: [(String, JSONParseError.Code, Int)] = [
            ("", .empty, 0),
            ("   ", .empty, 3),
            ("[1, 2", .unexpectedEnd, 5),
            ("[1 2]", .unexpectedCharacter, 3),
            ("[1,]", .unexpectedCharacter, 3),
            ("{\"a\" 1}", .unexpectedCharacter, 5),
            ("{\"a\": 1,}", .unexpectedCharacter, 8),
            ("{1: 2}", .unexpectedCharacter, 1),
            ("[1] x", .trailingData, 4),
            ("01", .trailingData, 1),
            ("-", .invalidNumber, 0),
            ("1.", .invalidNumber, 0),
            ("1e", .invalidNumber, 0),
            ("+1", .unexpectedCharacter, 0),
            ("tru", .unexpectedCharacter, 0),
            ("\"abc", .unexpectedEnd, 0),
            ("\"a\u{01}\"", .controlCharacterInString, 2),
            ("\"a\tb\"", .controlCharacterInString, 2),
            (#""\x""#, .invalidEscape, 1),
            (#""\u12G4""#, .invalidUnicodeEscape, 1),
            (#""\u12""#, .invalidUnicodeEscape, 1),
            ("'a'", .unexpectedCharacter, 0),
        ]
        for (text, code, offset) in cases {
            let error = try #require(failure(text), "\(text) should fail")
            #expect(error.code == code, "\(text): \(error)")
            #expect(error.offset == offset, "\(text): \(error)")
        }
        #expect(failure("[1 2]")?.description == "invalid JSON at byte 3: unexpected character '2', expected ',' or ']'")
    }

    @Test func invalidUTF8IsRejected() {
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError(code: .invalidUTF8, offset: 0, message: "string is not valid UTF-8")) {
            try JSONValue.parse(bytes)
        }
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0xFF]) }
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(failure(deep)?.code == .tooDeep)
        let objects = String(repeating: "{\"a\":", count: 600) + "1" + String(repeating: "}", count: 600)
        #expect(failure(objects)?.code == .tooDeep)
    }

    @Test func parsesNonContiguousCollections() throws {
        let bytes = Array("{\"a\": [1, 2]}".utf8)
        let value = try JSONValue.parse(bytes.lazy.map { $0 })
        #expect(value == ["a": [1, 2]])
    }

    @Test func sliceParsing() throws {
        let bytes = Array("xx[1, 2]".utf8)
        #expect(try JSONValue.parse(bytes[2...]) == [1, 2])
    }
}
