internal import CZlib

/// Inflates zlib streams (RFC 1950: 2-byte header, DEFLATE data, Adler-32) with the system zlib, to at most a
/// given number of bytes. The only owner of zlib: it allocates the `z_stream`, and `deinit` ends and frees it.
///
/// kombu's `zlib` compression (`headers.compression == "application/x-gzip"`) is `zlib.compress` output despite
/// the name; a gzip or raw DEFLATE stream is rejected, as Python's `zlib.decompress` rejects it. Bytes after the
/// end of the stream are ignored.
public struct ZlibInflater: ~Copyable {
    public struct Failure: Error, Sendable {
        public var message: String
        /// The stream inflates to more than the limit (a zlib bomb, or simply too large).
        public var tooLarge = false

        public init(message: String, tooLarge: Bool = false) {
            self.message = message
            self.tooLarge = tooLarge
        }
    }

    /// Decompresses one zlib stream to at most `limit` bytes.
    public static func inflate(_ data: [UInt8], limit: Int) -> Result<[UInt8], Failure> {
        do {
            var inflater = try ZlibInflater()
            return inflater.inflate(data, limit: limit)
        } catch {
            return .failure(error)
        }
    }

    private let stream: UnsafeMutablePointer<z_stream>

    public init() throws(Failure) {
        // The z_stream must not move: zlib keeps a pointer to it in its state. `self.stream` is set only once
        // zlib has started, so a failed init frees here and `deinit` does not run.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = czlib_inflate_init(stream)
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw Failure(message: "zlib cannot start (error \(status))")
        }
        self.stream = stream
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates one whole stream from its start. The inflater can be used again afterwards.
    public mutating func inflate(_ data: [UInt8], limit: Int) -> Result<[UInt8], Failure> {
        guard inflateReset(stream) == Z_OK else { return .failure(Failure(message: "zlib cannot reset")) }
        guard data.count <= Int(UInt32.max) else { return .failure(Failure(message: "compressed data too large")) }
        let chunk = 64 * 1024
        var output: [UInt8] = []
        return data.withUnsafeBufferPointer { input -> Result<[UInt8], Failure> in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.pointee.avail_in = UInt32(input.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
            }
            while true {
                // One byte past the limit is enough to tell that the stream is too large.
                let room = min(chunk, limit - output.count) + 1
                let start = output.count
                output.append(contentsOf: repeatElement(0, count: room))
                let status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.pointee.next_out = buffer.baseAddress! + start
                    stream.pointee.avail_out = UInt32(room)
                    return CZlib.inflate(stream, Z_NO_FLUSH)
                }
                output.removeLast(Int(stream.pointee.avail_out))
                if output.count > limit {
                    return .failure(Failure(message: "inflated data too large", tooLarge: true))
                }
                switch status {
                case Z_STREAM_END:
                    return .success(output)
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    return .failure(Failure(message: "compressed data truncated"))
                case Z_NEED_DICT:
                    return .failure(Failure(message: "zlib stream needs a preset dictionary"))
                case Z_MEM_ERROR:
                    return .failure(Failure(message: "zlib is out of memory"))
                default:
                    return .failure(Failure(message: lastMessage(status)))
                }
            }
        }
    }

    /// zlib's own description of the last error (for example "incorrect header check").
    private func lastMessage(_ status: Int32) -> String {
        if let message = stream.pointee.msg { return String(cString: message) }
        return "zlib error \(status)"
    }
}
