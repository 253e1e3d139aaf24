import Foundation
public import Logging
import PythonCompat
import Synchronization

/// `DISCORD_WORKER_LOG_FORMAT=json`: one JSON object per line on stderr, for log pipelines (Loki, ELK,
/// Cloud Logging). Fixed fields first: `timestamp` (UTC, ISO 8601 with milliseconds), `level`, `label`,
/// `message`; then every metadata key as its own field (`task_id`, `task`, `user_pk`, `route`, …), handler
/// metadata before the call's own. A metadata key that collides with a fixed field is written as
/// `meta_<key>`. Values are strings (nested lists and dictionaries stay JSON arrays/objects).
///
/// What is logged is unchanged from the text format: no secret is ever put into a log message or
/// metadata value, whatever the format.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let output: JSONLogOutput

    public init(label: String, output: JSONLogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let fixedFields: Set<String> = ["timestamp", "level", "label", "message"]

    public func log(event: LogEvent) {
        output.write(Self.line(
            timestamp: Date(), level: event.level, label: label, message: event.message.description,
            handlerMetadata: metadata, provided: metadataProvider?.get(), call: event.metadata))
    }

    /// One line of JSON (with the trailing newline).
    static func line(timestamp: Date, level: Logger.Level, label: String, message: String,
                     handlerMetadata: Logger.Metadata, provided: Logger.Metadata?, call: Logger.Metadata?) -> [UInt8] {
        var pairs: [(String, JSONValue)] = [
            ("timestamp", .string(timestamp.formatted(Self.timestampStyle))),
            ("level", .string(level.rawValue)),
            ("label", .string(label)),
            ("message", .string(message)),
        ]
        var merged = handlerMetadata
        if let provided { merged.merge(provided) { _, new in new } }
        if let call { merged.merge(call) { _, new in new } }
        for key in merged.keys.sorted() {
            let name = fixedFields.contains(key) ? "meta_" + key : key
            pairs.append((name, json(merged[key]!)))
        }
        var bytes = JSONObject(pairs).serialized(.compact)
        bytes.append(10)
        return bytes
    }

    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c): .string(c.description)
        case .array(let list): .array(list.map(json))
        case .dictionary(let dictionary):
            .object(JSONObject(dictionary.keys.sorted().map { ($0, json(dictionary[$0]!)) }))
        }
    }
}

/// Where JSON lines go: stderr (one `write` per line, serialized across threads) or, in tests, a buffer.
public final class JSONLogOutput: Sendable {
    private let lock = Mutex<[UInt8]>([])
    private let fd: Int32?

    public static let standardError = JSONLogOutput(fd: 2)

    init(fd: Int32?) { self.fd = fd }

    /// Collects lines in memory (tests).
    public static func memory() -> JSONLogOutput { JSONLogOutput(fd: nil) }

    public var collected: [UInt8] { lock.withLock { $0 } }

    func write(_ line: [UInt8]) {
        lock.withLock { buffer in
            guard let fd else {
                buffer += line
                return
            }
            var offset = 0
            while offset < line.count {
                let n = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, line.count - offset) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
