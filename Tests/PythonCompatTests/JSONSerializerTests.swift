import Foundation
import Testing
import TestSupport
@testable import PythonCompat

@Suite struct JSONSerializerTests {
    @Test func pythonStyleMatchesJsonDumps() {
        let value: JSONValue = [
            "k": "Ember Thukker 1",
            "é": ["\u{0}", "\t"],
            "n": [nil, true, false, -5, 2.5e-8],
        ]
        // json.dumps({'k': 'Ember Thukker 1', 'é': ['\x00', '\t'], 'n': [None, True, False, -5, 2.5e-08]})
        #expect(value.serializedString() == #"{"k": "Ember Thukker 1", "\u00e9": ["\u0000", "\t"], "n": [null, true, false, -5, 2.5e-08]}"#)
    }

    @Test func pythonEnsureASCII() {
        let text: JSONValue = .string("é\u{2028}😀\u{7F}\u{0}\u{1F}\"\\/\u{08}\u{0C}\r\n")
        #expect(text.serializedString(.python) == #""\u00e9\u2028\ud83d\ude00\u007f\u0000\u001f\"\\/\b\f\r\n""#)
    }

    @Test func compactStyle() {
        let value: JSONValue = ["a": [1, 2.5, "é😀\u{7F}\u{0}"], "b": [:]]
        #expect(value.serializedString(.compact) == "{\"a\":[1,2.5,\"é😀\u{7F}\\u0000\"],\"b\":{}}")
        #expect(JSONValue.double(.nan).serializedString(.compact) == "null")
    }

    @Test func floatsLikePythonRepr() {
        // json.dumps([1e16, 1e15, 1e-5, 0.0001, -0.0, nan, inf, -inf, 1.5e300, 123456789012345678.0, 5e-324,
        //             0.1 + 0.2, 1e22, 2.0 ** 53])
        let values: [JSONValue] = [
            .double(1e16), .double(1e15), .double(1e-5), .double(0.0001), .double(-0.0), .double(.nan),
            .double(.infinity), .double(-.infinity), .double(1.5e300), .double(123456789012345678.0),
            .double(Double.leastNonzeroMagnitude), .double(0.1 + 0.2), .double(1e22), .double(9007199254740992.0),
        ]
        #expect(
            JSONValue.array(values).serializedString()
                == "[1e+16, 1000000000000000.0, 1e-05, 0.0001, -0.0, NaN, Infinity, -Infinity, 1.5e+300, 1.2345678901234568e+17, 5e-324, 0.30000000000000004, 1e+22, 9007199254740992.0]"
        )
    }

    @Test func emptyContainersAndNesting() {
        #expect(JSONValue.array([]).serializedString() == "[]")
        #expect(JSONValue.object([:]).serializedString() == "{}")
        #expect(([[[]], ["a": ["b": nil]]] as JSONValue).serializedString() == #"[[[]], {"a": {"b": null}}]"#)
        #expect(JSONValue.int(.min).serializedString() == "-9223372036854775808")
    }

    @Test func serializeIntoAppends() {
        var output = Array("x=".utf8)
        ([1, 2] as JSONValue).serialize(.compact, into: &output)
        #expect(String(decoding: output, as: UTF8.self) == "x=[1,2]")
    }

    @Test(arguments: CeleryFixtures.messageNames)
    func fixtureEnvelopesRoundTripByteForByte(name: String) throws {
        let bytes = try CeleryFixtures.bytes(name)
        let envelope = try JSONValue.parse(bytes)
        #expect(envelope.serialized(.python) == bytes)
        // The base64 body, too, was written by json.dumps.
        let body = try #require(envelope["body"]?.stringValue)
        let bodyBytes = try #require(Data(base64Encoded: body))
        let parsedBody = try JSONValue.parse(bodyBytes)
        #expect(parsedBody.serialized(.python) == [UInt8](bodyBytes))
        // Compact output parses back to the same value.
        #expect(try JSONValue.parse(envelope.serialized(.compact)) == envelope)
    }

    @Test func roundTripOfAwkwardStrings() throws {
        let strings = ["", "\u{0}", "é", "😀", "\u{FFFF}", "\u{10FFFF}", "a\"b", "\\", "\u{7F}", "tab\there", "Ember Thukker 1"]
        for text in strings {
            for style in [JSONStyle.python, .compact] {
                let bytes = JSONValue.string(text).serialized(style)
                #expect(try JSONValue.parse(bytes) == .string(text))
            }
        }
    }
}
