import Testing
@testable import PythonCompat

@Suite struct PythonReprTests {
    @Test func scalars() {
        #expect(pythonStr(nil) == "None")
        #expect(pythonStr(true) == "True")
        #expect(pythonStr(false) == "False")
        #expect(pythonStr(1) == "1")
        #expect(pythonStr(-7) == "-7")
        #expect(pythonStr(2.5) == "2.5")
        #expect(pythonStr(1.0) == "1.0")
        #expect(pythonStr("Ember Thukker 1") == "Ember Thukker 1")
        #expect(pythonRepr("Ember Thukker 1") == "'Ember Thukker 1'")
        #expect(pythonRepr(.double(.nan)) == "nan")
        #expect(pythonRepr(.double(-.infinity)) == "-inf")
    }

    @Test func floatRepr() {
        // [repr(v) for v in [0.1, 1/3, 1e100, 1.5e-7, 123.456, 2.0**63, -2.5e-10, 1e-4, 1e16, 12345678901234567890.0,
        //                    0.5, 3e-310]]
        let cases: [(Double, String)] = [
            (0.1, "0.1"), (1.0 / 3.0, "0.3333333333333333"), (1e100, "1e+100"), (1.5e-7, "1.5e-07"),
            (123.456, "123.456"), (9223372036854775808.0, "9.223372036854776e+18"), (-2.5e-10, "-2.5e-10"),
            (1e-4, "0.0001"), (1e16, "1e+16"), (12345678901234567890.0, "1.2345678901234567e+19"), (0.5, "0.5"),
            (Double("3e-310")!, "3e-310"), (0.0, "0.0"), (-0.0, "-0.0"), (100.0, "100.0"), (1e15, "1000000000000000.0"),
        ]
        for (number, expected) in cases {
            #expect(pythonFloatRepr(number) == expected, "\(number)")
        }
    }

    @Test func stringReprQuotesAndEscapes() {
        #expect(pythonRepr("it's") == #""it's""#)
        #expect(pythonRepr("\"") == #"'"'"#)
        #expect(pythonRepr("'\"") == #"'\'"'"#)
        #expect(pythonRepr("a\\b") == #"'a\\b'"#)
        // repr('\x00\x1b\x7f\x80\xad\u0378\ue000\u2028\u3000')
        #expect(pythonRepr("\u{0}\u{1B}\u{7F}\u{80}\u{AD}\u{378}\u{E000}\u{2028}\u{3000}") == #"'\x00\x1b\x7f\x80\xad\u0378\ue000\u2028\u3000'"#)
        // repr('\xa0\u200b\U0001F600\U000E0001\x7f\n\t\\é')
        #expect(pythonRepr("\u{A0}\u{200B}😀\u{E0001}\u{7F}\n\t\\é") == #"'\xa0\u200b😀\U000e0001\x7f\n\t\\é'"#)
        #expect(pythonRepr("\r") == #"'\r'"#)
    }

    @Test func containers() {
        #expect(pythonStr([1, 2, 3]) == "[1, 2, 3]")
        #expect(pythonStr(["a", "b"]) == "['a', 'b']")
        #expect(pythonStr([:]) == "{}")
        #expect(pythonStr([]) == "[]")
        #expect(pythonRepr(["user_pk": 1, "state_name": "Guest"]) == "{'user_pk': 1, 'state_name': 'Guest'}")
        #expect(pythonStr(["a": [1, "x", nil, true, 1.5, [:]]]) == "{'a': [1, 'x', None, True, 1.5, {}]}")
        #expect(pythonRepr([1, [2.0, ["a": nil]]]) == "[1, [2.0, {'a': None}]]")
        #expect(pythonStr(["notify_user": true]) == "{'notify_user': True}")
    }

    @Test func tupleRepr() {
        #expect(pythonTupleRepr([]) == "()")
        #expect(pythonTupleRepr([1]) == "(1,)")
        #expect(pythonTupleRepr([[1, 2, 3]]) == "([1, 2, 3],)")
        #expect(pythonTupleRepr([1, "a"]) == "(1, 'a')")
    }
}
