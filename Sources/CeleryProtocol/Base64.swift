/// Standard base64 (RFC 4648 §4, with padding), as Python's `base64.b64encode`/`b64decode` use it.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The base64 text of `bytes`, with padding and no line breaks.
    static func encode(_ bytes: [UInt8]) -> String {
        let outputCount = (bytes.count + 2) / 3 * 4
        guard outputCount > 0 else { return "" }
        return String(unsafeUninitializedCapacity: outputCount) { output in
            alphabet.withUnsafeBufferPointer { table in
                bytes.withUnsafeBufferPointer { input in
                    var index = 0
                    var out = 0
                    let count = input.count
                    while index + 3 <= count {
                        let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                        output[out] = table[Int(value >> 18 & 0x3F)]
                        output[out + 1] = table[Int(value >> 12 & 0x3F)]
                        output[out + 2] = table[Int(value >> 6 & 0x3F)]
                        output[out + 3] = table[Int(value & 0x3F)]
                        index += 3
                        out += 4
                    }
                    let remaining = count - index
                    if remaining > 0 {
                        let second = remaining == 2 ? UInt32(input[index + 1]) << 8 : 0
                        let value = UInt32(input[index]) << 16 | second
                        output[out] = table[Int(value >> 18 & 0x3F)]
                        output[out + 1] = table[Int(value >> 12 & 0x3F)]
                        output[out + 2] = remaining == 2 ? table[Int(value >> 6 & 0x3F)] : UInt8(ascii: "=")
                        output[out + 3] = UInt8(ascii: "=")
                    }
                }
            }
            return outputCount
        }
    }

    /// Decodes base64 text. ASCII whitespace is skipped and missing padding tolerated; any other character
    /// outside the alphabet, data after padding, or a dangling single character fails with the offending
    /// character offset.
    static func decode(_ text: String) -> Result<[UInt8], Base64Error> {
        var text = text
        return text.withUTF8 { decode($0) }
    }

    static func decode(_ input: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], Base64Error> {
        decodeTable.withUnsafeBufferPointer { decode(input, table: $0) }
    }

    private static func decode(
        _ input: UnsafeBufferPointer<UInt8>, table decodeTable: UnsafeBufferPointer<UInt8>
    ) -> Result<[UInt8], Base64Error> {
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var accumulator: UInt32 = 0
        var pending = 0
        var padding = 0
        for offset in 0..<input.count {
            let byte = input[offset]
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "="):
                padding += 1
                continue
            default:
                break
            }
            let value = decodeTable[Int(byte)]
            guard value != 0xFF else { return .failure(Base64Error(offset: offset, message: "invalid character")) }
            guard padding == 0 else { return .failure(Base64Error(offset: offset, message: "data after padding")) }
            accumulator = accumulator << 6 | UInt32(value)
            pending += 1
            if pending == 4 {
                output.append(UInt8(accumulator >> 16 & 0xFF))
                output.append(UInt8(accumulator >> 8 & 0xFF))
                output.append(UInt8(accumulator & 0xFF))
                accumulator = 0
                pending = 0
            }
        }
        switch pending {
        case 0:
            break
        case 2:
            output.append(UInt8(accumulator >> 4 & 0xFF))
        case 3:
            output.append(UInt8(accumulator >> 10 & 0xFF))
            output.append(UInt8(accumulator >> 2 & 0xFF))
        default:
            return .failure(Base64Error(offset: input.count, message: "truncated data (a single trailing character)"))
        }
        return .success(output)
    }
}

struct Base64Error: Error, Sendable {
    var offset: Int
    var message: String
}
