import Foundation

/// Standard base64 (RFC 4648 §4, with padding) for kombu's `body_encoding: base64`, through Foundation.
enum Base64 {
    /// The base64 text of `bytes`, with padding and no line breaks (Python's `base64.b64encode`).
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Decodes base64 text. ASCII whitespace is skipped and missing padding tolerated; any other character
    /// outside the alphabet, data after padding, or a dangling single character fails with the offending
    /// character (UTF-8 byte) offset.
    static func decode(_ text: String) -> Result<[UInt8], Base64Error> {
        if let data = Data(base64Encoded: text) { return .success(Array(data)) }  // kombu's own output
        var clean: [UInt8] = []
        clean.reserveCapacity(text.utf8.count + 3)
        var padded = false
        for (offset, byte) in text.utf8.enumerated() {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "="):
                padded = true
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                guard !padded else { return .failure(Base64Error(offset: offset, message: "data after padding")) }
                clean.append(byte)
            default:
                return .failure(Base64Error(offset: offset, message: "invalid character"))
            }
        }
        guard clean.count % 4 != 1 else {
            return .failure(Base64Error(offset: text.utf8.count, message: "truncated data (a single trailing character)"))
        }
        clean.append(contentsOf: repeatElement(UInt8(ascii: "="), count: (4 - clean.count % 4) % 4))
        guard let data = Data(base64Encoded: Data(clean)) else {
            return .failure(Base64Error(offset: text.utf8.count, message: "not base64"))
        }
        return .success(Array(data))
    }
}

struct Base64Error: Error, Sendable {
    var offset: Int
    var message: String
}
