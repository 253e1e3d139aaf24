/// A small, dependency-free zlib (RFC 1950) / DEFLATE (RFC 1951) decoder for kombu's `zlib` compression
/// (`headers.compression == "application/x-gzip"`, which is `zlib.compress` output despite the name).
///
/// Modelled on Mark Adler's `puff.c`: canonical Huffman decoding bit by bit. Not fast, but compressed
/// Celery messages are rare and bounded by `limit`.
enum Inflate {
    struct Failure: Error, Sendable {
        var message: String
        var tooLarge = false
    }

    /// Decompresses a zlib stream (2-byte header, DEFLATE data, Adler-32) to at most `limit` bytes.
    static func zlib(_ data: [UInt8], limit: Int) -> Result<[UInt8], Failure> {
        guard data.count >= 6 else { return .failure(Failure(message: "zlib stream too short")) }
        let cmf = data[0]
        let flags = data[1]
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (UInt16(cmf) << 8 | UInt16(flags)) % 31 == 0 else {
            return .failure(Failure(message: "not a zlib stream (bad header)"))
        }
        guard flags & 0x20 == 0 else {
            return .failure(Failure(message: "zlib stream needs a preset dictionary"))
        }
        var state = State(input: data, position: 2, limit: limit)
        do {
            try state.inflate()
        } catch {
            return .failure(error)
        }
        // Adler-32 of the output follows, big-endian, at the next byte boundary.
        let trailerStart = state.position
        guard trailerStart + 4 <= data.count else {
            return .failure(Failure(message: "zlib stream truncated (no checksum)"))
        }
        let stored =
            UInt32(data[trailerStart]) << 24 | UInt32(data[trailerStart + 1]) << 16
            | UInt32(data[trailerStart + 2]) << 8 | UInt32(data[trailerStart + 3])
        guard stored == adler32(state.output) else {
            return .failure(Failure(message: "zlib checksum mismatch"))
        }
        return .success(state.output)
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        var index = 0
        while index < bytes.count {
            let end = min(index + 5552, bytes.count)
            while index < end {
                a &+= UInt32(bytes[index])
                b &+= a
                index += 1
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }

    private struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        /// Builds the canonical code for `lengths`; returns the number of unused codes
        /// (0 complete, > 0 incomplete, < 0 over-subscribed).
        init(lengths: ArraySlice<Int>, left: inout Int) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for length in lengths { counts[length] += 1 }
            left = 1
            if counts[0] == lengths.count {
                left = 0
                return
            }
            for length in 1..<16 {
                left <<= 1
                left -= counts[length]
                if left < 0 { return }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }
    }

    private static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    private static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193,
        12289, 16385, 24577,
    ]
    private static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    private struct State {
        let input: [UInt8]
        var position: Int
        let limit: Int
        var output: [UInt8] = []
        var bitBuffer = 0
        var bitCount = 0

        init(input: [UInt8], position: Int, limit: Int) {
            self.input = input
            self.position = position
            self.limit = limit
        }

        mutating func bits(_ needed: Int) throws(Failure) -> Int {
            var value = bitBuffer
            while bitCount < needed {
                guard position < input.count else { throw Failure(message: "compressed data truncated") }
                value |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            bitBuffer = value >> needed
            bitCount -= needed
            return value & ((1 << needed) - 1)
        }

        mutating func inflate() throws(Failure) {
            var last = false
            while !last {
                last = try bits(1) == 1
                switch try bits(2) {
                case 0: try stored()
                case 1: try fixed()
                case 2: try dynamic()
                default: throw Failure(message: "invalid DEFLATE block type")
                }
            }
            // Drop the partial byte; the checksum starts at the next byte.
            bitBuffer = 0
            bitCount = 0
        }

        mutating func emit(_ byte: UInt8) throws(Failure) {
            guard output.count < limit else { throw Failure(message: "inflated data too large", tooLarge: true) }
            output.append(byte)
        }

        mutating func stored() throws(Failure) {
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.count else { throw Failure(message: "compressed data truncated") }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
            position += 4
            guard length == (~complement & 0xFFFF) else { throw Failure(message: "stored block length mismatch") }
            guard position + length <= input.count else { throw Failure(message: "compressed data truncated") }
            guard output.count + length <= limit else { throw Failure(message: "inflated data too large", tooLarge: true) }
            output.append(contentsOf: input[position..<(position + length)])
            position += length
        }

        mutating func decode(_ huffman: Huffman) throws(Failure) -> Int {
            var code = 0
            var first = 0
            var index = 0
            for length in 1..<16 {
                code |= try bits(1)
                let count = huffman.counts[length]
                if code - count < first { return huffman.symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw Failure(message: "invalid Huffman code")
        }

        mutating func codes(_ lengthCode: Huffman, _ distanceCode: Huffman) throws(Failure) {
            while true {
                let symbol = try decode(lengthCode)
                if symbol < 256 {
                    try emit(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let lengthSymbol = symbol - 257
                    guard lengthSymbol < 29 else { throw Failure(message: "invalid length symbol") }
                    let length = Inflate.lengthBase[lengthSymbol] + (try bits(Inflate.lengthExtra[lengthSymbol]))
                    let distanceSymbol = try decode(distanceCode)
                    guard distanceSymbol < 30 else { throw Failure(message: "invalid distance symbol") }
                    let distance = Inflate.distanceBase[distanceSymbol] + (try bits(Inflate.distanceExtra[distanceSymbol]))
                    guard distance <= output.count else { throw Failure(message: "distance too far back") }
                    guard output.count + length <= limit else {
                        throw Failure(message: "inflated data too large", tooLarge: true)
                    }
                    var from = output.count - distance
                    for _ in 0..<length {
                        output.append(output[from])
                        from += 1
                    }
                }
            }
        }

        mutating func fixed() throws(Failure) {
            var lengths = [Int](repeating: 0, count: 320)
            for symbol in 0..<144 { lengths[symbol] = 8 }
            for symbol in 144..<256 { lengths[symbol] = 9 }
            for symbol in 256..<280 { lengths[symbol] = 7 }
            for symbol in 280..<288 { lengths[symbol] = 8 }
            for symbol in 288..<320 { lengths[symbol] = 5 }
            var left = 0
            let lengthCode = Huffman(lengths: lengths[0..<288], left: &left)
            let distanceCode = Huffman(lengths: lengths[288..<320], left: &left)
            try codes(lengthCode, distanceCode)
        }

        mutating func dynamic() throws(Failure) {
            let literalCount = try bits(5) + 257
            let distanceCount = try bits(5) + 1
            let codeLengthCount = try bits(4) + 4
            guard literalCount <= 286, distanceCount <= 30 else { throw Failure(message: "bad dynamic block counts") }
            var lengths = [Int](repeating: 0, count: 320)
            for index in 0..<codeLengthCount { lengths[Inflate.codeLengthOrder[index]] = try bits(3) }
            var left = 0
            let codeLengthCode = Huffman(lengths: lengths[0..<19], left: &left)
            guard left == 0 else { throw Failure(message: "incomplete code-length code") }
            var index = 0
            while index < literalCount + distanceCount {
                var symbol = try decode(codeLengthCode)
                if symbol < 16 {
                    lengths[index] = symbol
                    index += 1
                    continue
                }
                var repeated = 0
                if symbol == 16 {
                    guard index > 0 else { throw Failure(message: "repeat with no previous length") }
                    repeated = lengths[index - 1]
                    symbol = 3 + (try bits(2))
                } else if symbol == 17 {
                    symbol = 3 + (try bits(3))
                } else {
                    symbol = 11 + (try bits(7))
                }
                guard index + symbol <= literalCount + distanceCount else { throw Failure(message: "too many lengths") }
                for _ in 0..<symbol {
                    lengths[index] = repeated
                    index += 1
                }
            }
            guard lengths[256] != 0 else { throw Failure(message: "no end-of-block code") }
            let lengthCode = Huffman(lengths: lengths[0..<literalCount], left: &left)
            if left < 0 || (left > 0 && literalCount - lengthCode.counts[0] != 1) {
                throw Failure(message: "bad literal/length code")
            }
            let distanceCode = Huffman(lengths: lengths[literalCount..<(literalCount + distanceCount)], left: &left)
            if left < 0 || (left > 0 && distanceCount - distanceCode.counts[0] != 1) {
                throw Failure(message: "bad distance code")
            }
            try codes(lengthCode, distanceCode)
        }
    }
}
