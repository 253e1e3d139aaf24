import Testing
import ZlibInflate

@Suite struct ZlibInflaterTests {
    /// zlib.compress(b"a")
    let good: [UInt8] = [0x78, 0x9C, 0x4B, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62]

    @Test func inflates() throws {
        #expect(try ZlibInflater.inflate(good, limit: 100).get() == [0x61])
        #expect(try ZlibInflater.inflate(good, limit: 1).get() == [0x61])
        #expect(try ZlibInflater.inflate(good + [1, 2, 3], limit: 100).get() == [0x61])  // trailing bytes ignored
        // zlib.compress(b"")
        #expect(try ZlibInflater.inflate([0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01], limit: 0).get() == [])
    }

    @Test func reusable() throws {
        var inflater = try ZlibInflater()
        #expect(try inflater.inflate(good, limit: 100).get() == [0x61])
        #expect((try? inflater.inflate(Array(good.prefix(5)), limit: 100).get()) == nil)
        #expect(try inflater.inflate(good, limit: 100).get() == [0x61])
    }

    @Test func rejectsCorruptStreams() throws {
        var badChecksum = good
        badChecksum[8] ^= 1
        #expect(failure(badChecksum)?.message == "incorrect data check")
        #expect(failure(Array(good.prefix(5)))?.message == "compressed data truncated")
        #expect(failure([])?.message == "compressed data truncated")
        #expect(failure([0x78, 0x9D] + good.dropFirst(2))?.message == "incorrect header check")
        #expect(failure([0x1F, 0x8B, 0x08, 0x00] + good)?.tooLarge == false)  // gzip framing is not zlib
        // zlib.compressobj(zdict=b"abc") of b"a"
        #expect(failure([0x78, 0xF9, 0x02, 0x4D, 0x01, 0x27, 0x4B, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62])?.message == "zlib stream needs a preset dictionary")
    }

    @Test func limitsTheOutput() throws {
        #expect(failure(good, limit: 0)?.tooLarge == true)
        // zlib.compress(bytes(1_000_000), 9): a million zeros in 991 bytes.
        let bomb: [UInt8] =
            [0x78, 0xDA, 0xED, 0xC1, 0x01, 0x01, 0x00, 0x00, 0x00, 0x82, 0x20, 0xFF, 0xAF, 0x6E, 0x48, 0x40, 0x01]
            + [UInt8](repeating: 0, count: 968) + [0xAF, 0x06, 0x43, 0x21, 0x00, 0x01]
        #expect(try ZlibInflater.inflate(bomb, limit: 1_000_000).get() == [UInt8](repeating: 0, count: 1_000_000))
        #expect(failure(bomb, limit: 999_999)?.tooLarge == true)
        #expect(failure(bomb, limit: 100_000)?.tooLarge == true)
    }

    private func failure(_ data: [UInt8], limit: Int = 100) -> ZlibInflater.Failure? {
        if case .failure(let failure) = ZlibInflater.inflate(data, limit: limit) { return failure }
        return nil
    }
}
