import Testing
@testable import CeleryProtocol

@Suite struct CodecTests {
    @Test func base64RoundTrip() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64.encode(bytes)
            #expect(text.count == (length + 2) / 3 * 4)
            #expect(try Base64.decode(text).get() == bytes)
        }
        #expect(Base64.encode(Array("[[1], {}]".utf8)) == "W1sxXSwge31d")
    }

    @Test func base64Leniency() throws {
        #expect(try Base64.decode("W1sx\nXSwg e31d").get() == Array("[[1], {}]".utf8))
        #expect(try Base64.decode("YQ").get() == [0x61])  // missing padding
        #expect((try? Base64.decode("YQ==YQ==").get()) == nil)
        #expect((try? Base64.decode("Y").get()) == nil)
        #expect((try? Base64.decode("Y*Q=").get()) == nil)
        #expect(try Base64.decode("").get() == [])
        #expect(try Base64.decode("YR==").get() == [0x61])  // unused low bits ignored, as Python does
        #expect(try Base64.decode("YR").get() == [0x61])
        #expect(try Base64.decode("YWI=\r\n").get() == [0x61, 0x62])
        // Where the error is, in UTF-8 bytes.
        #expect(Base64.decode("YW\u{e9}I=").failure?.offset == 2)
        #expect(Base64.decode("YQ==YQ==").failure?.message == "data after padding")
        #expect(Base64.decode("YQ==YQ==").failure?.offset == 4)
        #expect(Base64.decode("YWJjY").failure?.offset == 5)
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
