import PythonCompat

/// Why a Redis list element is not a task message this worker can run. `reason` is written for the
/// dead-letter store and the log; it never contains argument values.
public struct MessageDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// Larger than `TaskMessage.maxBytes` (or inflates to more than that).
        case oversized
        /// Not JSON, and not a bare task name.
        case invalidJSON
        /// JSON, but not an object (and not a bare task name).
        case notAnObject
        /// An object that is neither a kombu envelope (`body`) nor a plain task (`task`).
        case notATaskMessage
        /// Envelope without `content-type`.
        case missingContentType
        /// Envelope with a serializer other than JSON (msgpack, YAML, pickle, …).
        case unsupportedContentType
        /// `properties.body_encoding` other than base64.
        case unsupportedBodyEncoding
        /// `body` is not valid base64.
        case badBase64
        /// `headers.compression` names a codec this worker cannot inflate, or the compressed data is corrupt.
        case unsupportedCompression
        /// The body is not `[args, kwargs, embed]` (protocol 2) or an object (protocol 1), or not JSON.
        case invalidBody
        /// `args` is not a list.
        case argsNotAList
        /// `kwargs` is not an object.
        case kwargsNotAnObject
        /// No task name, or not a non-empty string.
        case missingTaskName
        /// `eta`/`expires`/`countdown` that cannot be read as a date.
        case invalidDate
        /// A header, property or embedded signature of the wrong type.
        case invalidField
    }

    public var code: Code
    /// What was wrong, for humans (becomes the dead-letter reason).
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}

/// Quotes a value for an error message: Python `repr` style, cut at 60 characters.
func quoted(_ text: String) -> String {
    let limited = text.count > 60 ? String(text.prefix(57)) + "..." : text
    return pythonStringRepr(limited)
}
