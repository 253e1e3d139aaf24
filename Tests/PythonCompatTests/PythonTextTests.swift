import PythonCompat
import Testing

@Suite struct PythonTextTests {
    @Test func stripUsesPythonsWhitespace() {
        #expect(PythonText.strip("\u{1C}\u{1F}\u{85}\u{A0}\u{2003}\u{3000} x y \t\n\r\u{0B}\u{0C}\u{2028}") == "x y")
        #expect(PythonText.strip("\u{200B}x\u{FEFF}") == "\u{200B}x\u{FEFF}")
        #expect(PythonText.strip(" \t ") == "")
    }

    @Test func reprChoosesQuotesAndEscapesLikePython() {
        // Expected values from CPython 3.11.
        #expect(PythonText.repr("it's") == "\"it's\"")
        #expect(PythonText.repr("a\"b'c") == "'a\"b\\'c'")
        #expect(PythonText.repr("tab\there\u{07}\u{7F}\u{A0}\u{200B}🚀\u{D7FF}\u{E000}")
            == "'tab\\there\\x07\\x7f\\xa0\\u200b🚀\\ud7ff\\ue000'")
        #expect(PythonText.ascii("Zoë🚀\u{A0}") == "'Zo\\xeb\\U0001f680\\xa0'")
    }

    @Test func prefixCountsCodePoints() {
        #expect(PythonText.prefix("👍🏽x", codePoints: 1) == "👍")
        #expect(PythonText.prefix("abc", codePoints: 5) == "abc")
    }
}
