public import Logging
import Synchronization

/// Collects every log record of the loggers made from it, one rendered line each:
/// `<level> <message> <key=value …sorted> <error>`. Tests assert on what was (and was not) logged.
public final class LogCapture: Sendable {
    private let records = Mutex<[String]>([])

    public init() {}

    /// A logger whose records land here.
    public func logger(_ label: String, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    public func append(_ line: String) {
        records.withLock { $0.append(line) }
    }

    public var lines: [String] { records.withLock { $0 } }

    public func contains(_ text: String) -> Bool { lines.contains { $0.contains(text) } }
}

/// The `LogHandler` behind `LogCapture.logger(_:)`.
public struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .trace

    public init(capture: LogCapture) { self.capture = capture }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        for (key, value) in event.metadata ?? [:] { all[key] = value }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        capture.append("\(event.level) \(event.message) \(rendered) \(event.error.map { "\($0)" } ?? "")")
    }
}
