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
    }

    @Test func inflateRejectsCorruptStreams() throws {
        let good: [UInt8] = [0x78, 0x9C, 0x4B, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62]  // zlib.compress(b"a")
        #expect(try Inflate.zlib(good, limit: 100).get() == [0x61])
        var badChecksum = good
        badChecksum[8] ^= 1
        #expect((try? Inflate.zlib(badChecksum, limit: 100).get()) == nil)
        #expect((try? Inflate.zlib(Array(good.prefix(5)), limit: 100).get()) == nil)
        #expect((try? Inflate.zlib([0x78, 0x9D] + good.dropFirst(2), limit: 100).get()) == nil)
        // Size limit (zlib bombs).
        let failure: Inflate.Failure? = {
            if case .failure(let failure) = Inflate.zlib(good, limit: 0) { return failure }
            return nil
        }()
        #expect(failure?.tooLarge == true)
    }
}
