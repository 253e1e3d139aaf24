import DiscordTasks
import HostDatabase
import Testing

/// Expected outcomes generated with CPython 3.11's `string.Formatter().vformat(fmt, args=[], kwargs=values).strip()`,
/// the call AA's NameFormatter makes: ("ok", result) or (exception name, message).
@Suite struct DomainNicknameFormatterTests {
    static let bob = NicknameValues(
        character: EveCharacter(
            characterID: 95_465_499, characterName: "Bob Pilot", corporationID: 98_000_001, corporationName: "Bob Corp",
            corporationTicker: "BOBC", allianceID: 99_000_001, allianceName: "Bob Alliance", allianceTicker: "BOBA"),
        username: "bob")

    static let zoe = NicknameValues(
        characterName: "Zoë 👨\u{200D}👩\u{200D}👧", characterID: 0, corporationName: "Zed Corp", corporationID: 98_000_002,
        corporationTicker: "ZZ", allianceName: "", allianceID: nil, allianceTicker: "", username: "zoe")

    static let pythonCasesBob: [(String, String, String)] = [
        ("{character_name}", "ok", "Bob Pilot"),
        ("[{corp_ticker}] {character_name}", "ok", "[BOBC] Bob Pilot"),
        ("{{{character_name}}}", "ok", "{Bob Pilot}"),
        ("{{literal}}", "ok", "{literal}"),
        ("{character_name:.3}", "ok", "Bob"),
        ("{character_name:<12}|", "ok", "Bob Pilot   |"),
        ("{character_name:>12}", "ok", "Bob Pilot"),
        ("{character_name:^13}", "ok", "Bob Pilot"),
        ("{character_name:*^14}", "ok", "**Bob Pilot***"),
        ("{character_name:_<12}|", "ok", "Bob Pilot___|"),
        ("{character_name:012}", "ok", "Bob Pilot000"),
        ("{character_name:<012}", "ok", "Bob Pilot000"),
        ("{character_name!r}", "ok", "'Bob Pilot'"),
        ("{character_name!s:>11}", "ok", "Bob Pilot"),
        ("{character_name!a}", "ok", "'Bob Pilot'"),
        ("{character_id}", "ok", "95465499"),
        ("{character_id:,}", "ok", "95,465,499"),
        ("{character_id:_}", "ok", "95_465_499"),
        ("{character_id:>12}", "ok", "95465499"),
        ("{character_id:012}", "ok", "000095465499"),
        ("{character_id:012,}", "ok", "0,095,465,499"),
        ("{character_id:011,}", "ok", "095,465,499"),
        ("{character_id:010,}", "ok", "95,465,499"),
        ("{character_id:+}", "ok", "+95465499"),
        ("{character_id: }", "ok", "95465499"),
        ("{character_id:x}", "ok", "5b0b01b"),
        ("{character_id:#x}", "ok", "0x5b0b01b"),
        ("{character_id:#X}", "ok", "0X5B0B01B"),
        ("{character_id:#b}", "ok", "0b101101100001011000000011011"),
        ("{character_id:_b}", "ok", "101_1011_0000_1011_0000_0001_1011"),
        ("{character_id:#o}", "ok", "0o554130033"),
        ("{character_id:=+15}", "ok", "+      95465499"),
        ("{character_id:*^16}", "ok", "****95465499****"),
        ("{character_id:<12}|", "ok", "95465499    |"),
        ("{character_id!r}", "ok", "95465499"),
        ("{character_id!s:>10}", "ok", "95465499"),
        ("{character_id:n}", "ok", "95465499"),
        ("{character_id:d}", "ok", "95465499"),
        ("{character_id:#015_x}", "ok", "0x000_05b0_b01b"),
        ("{corp_id:09_}", "ok", "98_000_001"),
        ("{character_name[0]}", "ok", "B"),
        ("{character_name[4]}", "ok", "P"),
        ("{character_name:>{corp_ticker}}", "ValueError", "Invalid format specifier '>BOBC' for object of type 'str'"),
        ("  {character_name}  ", "ok", "Bob Pilot"),
        ("{character_name:.{character_id}}", "ok", "Bob Pilot"),
        ("{character_name:{corp_ticker}<20}", "ValueError", "Invalid format specifier 'BOBC<20' for object of type 'str'"),
        ("{unknown}", "KeyError", "'unknown'"),
        ("{}", "IndexError", "list index out of range"),
        ("{0}", "IndexError", "list index out of range"),
        ("{character_name!x}", "ValueError", "Unknown conversion specifier x"),
        ("{character_name!}", "ValueError", "unmatched '{' in format spec"),
        ("{character_name!rr}", "ValueError", "expected ':' after conversion specifier"),
        ("{character_name", "ValueError", "expected '}' before end of string"),
        ("}", "ValueError", "Single '}' encountered in format string"),
        ("{", "ValueError", "Single '{' encountered in format string"),
        ("a}b", "ValueError", "Single '}' encountered in format string"),
        ("{character_name:d}", "ValueError", "Unknown format code 'd' for object of type 'str'"),
        ("{character_name:+}", "ValueError", "Sign not allowed in string format specifier"),
        ("{character_name: }", "ValueError", "Space not allowed in string format specifier"),
        ("{character_name:#}", "ValueError", "Alternate form (#) not allowed in string format specifier"),
        ("{character_name:=10}", "ValueError", "'=' alignment not allowed in string format specifier"),
        ("{character_name:,}", "ValueError", "Cannot specify ',' with 's'."),
        ("{character_id:.2}", "ValueError", "Precision not allowed in integer format specifier"),
        ("{character_id:c}", "OverflowError", "%c arg not in range(0x110000)"),
        ("{character_id:s}", "ValueError", "Unknown format code 's' for object of type 'int'"),
        ("{character_id:,_}", "ValueError", "Cannot specify both ',' and '_'."),
        ("{character_id:_,}", "ValueError", "Cannot specify both ',' and '_'."),
        ("{character_name:.}", "ValueError", "Format specifier missing precision"),
        ("{character_name:>10x}", "ValueError", "Unknown format code 'x' for object of type 'str'"),
        ("{character_name[99]}", "IndexError", "string index out of range"),
        ("{character_name[x]}", "TypeError", "string indices must be integers, not 'str'"),
        ("{character_id[0]}", "TypeError", "'int' object is not subscriptable"),
        ("{character_name[0}", "ValueError", "expected '}' before end of string"),
        ("{character_name[0]x}", "ValueError", "Only '.' or '[' may follow ']' in format field specifier"),
        ("{character_name.}", "ValueError", "Empty attribute in format string"),
        ("{character_name:{corp_ticker:{corp_id}}}", "ValueError", "Max string recursion exceeded"),
        ("{character_name{x}}", "ValueError", "unexpected '{' in field name"),
        ("{[0]}", "KeyError", "''"),
        ("{character_id:,x}", "ValueError", "Cannot specify ',' with 'x'."),
        ("{character_name:z}", "ValueError", "Negative zero coercion (z) not allowed in string format specifier"),
        ("{character_id:z}", "ValueError", "Negative zero coercion (z) not allowed in integer format specifier"),
        ("{character_id:#c}", "ValueError", "Alternate form (#) not allowed with integer format specifier 'c'"),
        ("{character_id:+c}", "ValueError", "Sign not allowed with integer format specifier 'c'"),
        ("{character_name:_}", "ValueError", "Cannot specify '_' with 's'."),
        ("{character_name[}]}", "TypeError", "string indices must be integers, not 'str'"),
        ("{character_name[0]:[}", "ValueError", "Unknown format code '[' for object of type 'str'"),
        ("{character_name!}", "ValueError", "unmatched '{' in format spec"),
        ("{character_name!:>5}", "ValueError", "expected ':' after conversion specifier"),
        ("{character_name!r:}", "ok", "'Bob Pilot'"),
        ("{character_name:}", "ok", "Bob Pilot"),
        ("{character_name:{{}", "ValueError", "unmatched '{' in format spec"),
        ("{character_name:>15}}}", "ok", "Bob Pilot}"),
        ("{character_name!r!s}", "ValueError", "expected ':' after conversion specifier"),
        ("x{character_name:{corp_ticker:}}y", "ValueError", "Invalid format specifier 'BOBC' for object of type 'str'"),
        ("{character_name:}}", "ValueError", "Single '}' encountered in format string"),
        ("{character_name[99]x}", "IndexError", "string index out of range"),
        ("{character_name[]}", "ValueError", "Empty attribute in format string"),
        ("{username} {alliance_or_corp_ticker} {alliance_or_corp_name} {corp_name} {alliance_name} {alliance_id} {corp_id} {character_id}", "ok", "bob BOBA Bob Alliance Bob Corp Bob Alliance 99000001 98000001 95465499"),
        ("{character_id:,d}", "ok", "95,465,499"),
        ("{character_id:^+14,}", "ok", "+95,465,499"),
        ("{character_id:x<+14,}", "ok", "+95,465,499xxx"),
        ("{character_id:=14,}", "ok", "95,465,499"),
        ("{character_id:0=14_}", "ok", "00_095_465_499"),
        ("{character_id:c>5}", "ok", "95465499"),
        ("{character_name!r:>14}", "ok", "'Bob Pilot'"),
        ("{character_name!s}", "ok", "Bob Pilot"),
        ("{character_name!a:.4}", "ok", "'Bob"),
    ]

    static let pythonCasesZoe: [(String, String, String)] = [
        ("{character_name}", "ok", "Zoë 👨\u{200D}👩\u{200D}👧"),
        ("{character_name:>12}|", "ok", "Zoë 👨\u{200D}👩\u{200D}👧|"),
        ("{character_name:^11}|", "ok", "Zoë 👨\u{200D}👩\u{200D}👧 |"),
        ("{character_name:.5}|", "ok", "Zoë 👨|"),
        ("{character_name:.4}|", "ok", "Zoë |"),
        ("{character_name!r}", "ok", "'Zoë 👨\\u200d👩\\u200d👧'"),
        ("{character_name!a}", "ok", "'Zo\\xeb \\U0001f468\\u200d\\U0001f469\\u200d\\U0001f467'"),
        ("{character_id:>5}|", "ok", "|"),
        ("{character_id:05}", "ok", "00000"),
        ("[{alliance_ticker}] {character_name}", "ok", "[] Zoë 👨\u{200D}👩\u{200D}👧"),
        ("{alliance_or_corp_name}", "ok", "Zed Corp"),
        ("{alliance_or_corp_ticker}", "ok", "ZZ"),
        ("{alliance_id}{corp_id}", "ok", "98000002"),
        ("{character_name[4]}", "ok", "👨"),
        ("{character_name[5]}", "ok", "\u{200D}"),
        ("{alliance_ticker:x>3}", "ok", "xxx"),
        ("{character_id:d}", "ValueError", "Unknown format code 'd' for object of type 'str'"),
        ("{username!r:*<9}", "ok", "'zoe'****"),
        ("\u{A0}\u{2003}{username}\u{3000}\n", "ok", "zoe"),
        ("\u{1C}{username}\u{1F}", "ok", "zoe"),
        ("\u{200B}{username}", "ok", "\u{200B}zoe"),
        ("{corp_ticker:🚀^6}", "ok", "🚀🚀ZZ🚀🚀"),
        ("{alliance_name}", "ok", ""),
        ("{character_id!r}", "ok", "''"),
        ("{alliance_name!r}", "ok", "''"),
    ]

    @Test(arguments: pythonCasesBob)
    func matchesPythonWithIntegerIDs(format: String, kind: String, expected: String) {
        check(format, Self.bob, kind, expected)
    }

    @Test(arguments: pythonCasesZoe)
    func matchesPythonWithEmojiAndEmptyFields(format: String, kind: String, expected: String) {
        check(format, Self.zoe, kind, expected)
    }

    @Test func unknownKeyErrorNamesTheKey() {
        let error = #expect(throws: NicknameFormatError.self) {
            try NicknameFormatter.format("[{corp_tikcer}] {character_name}", values: Self.bob)
        }
        #expect(error?.kind == .keyError)
        #expect(error?.unknownKey == "corp_tikcer")
        #expect(error?.description == "KeyError: 'corp_tikcer' in nickname format '[{corp_tikcer}] {character_name}'")
    }

    @Test func attributeAccessAndFloatTypesAreRefusedNotGuessed() {
        for format in ["{character_name.upper}", "{character_id:%}", "{character_id:.2f}", "{character_name:>{corp_id}}|"] {
            let error = #expect(throws: NicknameFormatError.self) { try NicknameFormatter.format(format, values: Self.bob) }
            #expect(error?.kind == .unsupported, "\(format)")
        }
    }

    @Test func hugeWidthsAreRefused() {
        let error = #expect(throws: NicknameFormatError.self) {
            try NicknameFormatter.format("{character_name:>99999999}", values: Self.bob)
        }
        #expect(error?.kind == .unsupported)
    }

    @Test func largeWidthsWithinTheLimitWork() throws {
        #expect(try NicknameFormatter.format("{character_name:>1000}", values: Self.bob) == "Bob Pilot")
    }

    @Test func defaultFormatIsTheCharacterName() throws {
        #expect(NicknameFormatter.defaultFormat == "{character_name}")
        #expect(try NicknameFormatter.format(NicknameFormatter.defaultFormat, values: Self.bob) == "Bob Pilot")
    }

    @Test func everyKeyIsDefined() {
        for key in NicknameValues.keys {
            #expect(Self.bob.value(forKey: key) != nil, "\(key)")
        }
        #expect(Self.bob.value(forKey: "main_character") == nil)
    }

    @Test func idsAreIntegersUnlessZeroOrNull() {
        #expect(Self.bob.value(forKey: "character_id") == .int(95_465_499))
        #expect(Self.zoe.value(forKey: "character_id") == .string(""))
        #expect(Self.zoe.value(forKey: "alliance_id") == .string(""))
        #expect(Self.zoe.value(forKey: "corp_id") == .int(98_000_002))
    }

    private func check(_ format: String, _ values: NicknameValues, _ kind: String, _ expected: String) {
        do {
            let result = try NicknameFormatter.format(format, values: values)
            #expect(kind == "ok", "expected \(kind): \(expected), got \(result)")
            #expect(result == expected)
        } catch let error as NicknameFormatError {
            #expect(error.kind.rawValue == kind, "\(error)")
            #expect(error.message == expected)
            #expect(error.format == format)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
