public import PythonCompat

/// A Celery signature dict (a chain step, a link or link_error callback):
/// `{"task", "args", "kwargs", "options", "subtask_type", "immutable"}`.
///
/// The dict is kept as it arrived (key order and unknown keys included), so re-publishing it changes
/// nothing a Python worker would read. The typed properties read and write that dict.
public struct Signature: Sendable, Hashable {
    /// The dict as it is (or will be) on the wire.
    public private(set) var object: JSONObject

    /// A new signature in Celery's key order.
    public init(
        task: String, args: [JSONValue] = [], kwargs: JSONObject = [:], options: JSONObject = [:],
        subtaskType: String? = nil, immutable: Bool = false
    ) {
        object = [
            "task": .string(task),
            "args": .array(args),
            "kwargs": .object(kwargs),
            "options": .object(options),
            "subtask_type": subtaskType.map(JSONValue.string) ?? .null,
            "immutable": .bool(immutable),
        ]
    }

    /// Validates a signature dict: `task` a string; `args` a list, `kwargs` and `options` objects,
    /// `immutable` a bool and `subtask_type` a string, each when present and not null.
    public init(object: JSONObject) throws(MessageDecodeError) {
        guard case .string(let task)? = object["task"] else {
            throw MessageDecodeError(.invalidField, "signature without a task name")
        }
        func check(_ key: String, _ valid: (JSONValue) -> Bool, _ expected: String) throws(MessageDecodeError) {
            if let value = object[key], !value.isNull, !valid(value) {
                throw MessageDecodeError(
                    .invalidField, "signature of \(quoted(task)): \(key) must be \(expected), got \(value.pythonTypeName)")
            }
        }
        try check("args", { $0.arrayValue != nil }, "a list")
        try check("kwargs", { $0.objectValue != nil }, "an object")
        try check("options", { $0.objectValue != nil }, "an object")
        try check("immutable", { $0.boolValue != nil }, "a bool")
        try check("subtask_type", { $0.stringValue != nil }, "a string")
        self.object = object
    }

    /// Validates `value` as a signature dict.
    public init(json value: JSONValue) throws(MessageDecodeError) {
        guard case .object(let object) = value else {
            throw MessageDecodeError(.invalidField, "signature must be an object, got \(value.pythonTypeName)")
        }
        try self.init(object: object)
    }

    /// The dict as a JSON value.
    public var json: JSONValue { .object(object) }

    public var task: String {
        get { object["task"]?.stringValue ?? "" }
        set { object["task"] = .string(newValue) }
    }

    public var args: [JSONValue] {
        get { object["args"]?.arrayValue ?? [] }
        set { object["args"] = .array(newValue) }
    }

    public var kwargs: JSONObject {
        get { object["kwargs"]?.objectValue ?? [:] }
        set { object["kwargs"] = .object(newValue) }
    }

    public var options: JSONObject {
        get { object["options"]?.objectValue ?? [:] }
        set { object["options"] = .object(newValue) }
    }

    /// `null` for a plain task; `"chain"`, `"group"`, `"chord"`, … for nested canvas.
    public var subtaskType: String? {
        get { object["subtask_type"]?.stringValue }
        set { object["subtask_type"] = newValue.map(JSONValue.string) ?? .null }
    }

    /// From `.si()`: the parent's result is not prepended to `args`.
    public var immutable: Bool {
        get { object["immutable"]?.boolValue ?? false }
        set { object["immutable"] = .bool(newValue) }
    }

    /// `options.task_id`: the id the step will run under.
    public var taskID: String? { options["task_id"]?.stringValue }
}

/// The third element of a protocol-2 body: `{"callbacks", "errbacks", "chain", "chord"}`.
public struct Embed: Sendable, Hashable {
    /// `link` signatures, published after success.
    public var callbacks: [Signature]?
    /// `link_error` signatures, published after failure.
    public var errbacks: [Signature]?
    /// Remaining chain steps in reverse execution order (`chain.last` runs next).
    public var chain: [Signature]?
    /// The chord callback, kept as it arrived (`nil` when absent or null).
    public var chord: JSONValue?

    public init(
        callbacks: [Signature]? = nil, errbacks: [Signature]? = nil, chain: [Signature]? = nil, chord: JSONValue? = nil
    ) {
        self.callbacks = callbacks
        self.errbacks = errbacks
        self.chain = chain
        self.chord = chord
    }

    /// All null: `{"callbacks": null, "errbacks": null, "chain": null, "chord": null}`.
    public static let empty = Embed()

    /// The embed as Celery writes it, keys in Celery's order.
    public var jsonObject: JSONObject {
        [
            "callbacks": Self.list(callbacks),
            "errbacks": Self.list(errbacks),
            "chain": Self.list(chain),
            "chord": chord ?? .null,
        ]
    }

    private static func list(_ signatures: [Signature]?) -> JSONValue {
        guard let signatures else { return .null }
        return .array(signatures.map(\.json))
    }

    /// Reads an embed object; `null`/absent entries are `nil`. A single signature object where a list is
    /// expected is accepted as a one-element list.
    public init(object: JSONObject) throws(MessageDecodeError) {
        callbacks = try Self.signatures(object["callbacks"], field: "callbacks")
        errbacks = try Self.signatures(object["errbacks"], field: "errbacks")
        chain = try Self.signatures(object["chain"], field: "chain")
        if let chord = object["chord"], !chord.isNull { self.chord = chord }
    }

    static func signatures(_ value: JSONValue?, field: String) throws(MessageDecodeError) -> [Signature]? {
        guard let value, !value.isNull else { return nil }
        switch value {
        case .array(let elements):
            var result: [Signature] = []
            result.reserveCapacity(elements.count)
            for (position, element) in elements.enumerated() {
                do {
                    result.append(try Signature(json: element))
                } catch {
                    throw MessageDecodeError(.invalidField, "\(field)[\(position)]: \(error.reason)")
                }
            }
            return result
        case .object:
            do {
                return [try Signature(json: value)]
            } catch {
                throw MessageDecodeError(.invalidField, "\(field): \(error.reason)")
            }
        default:
            throw MessageDecodeError(.invalidField, "\(field) must be a list of signatures, got \(value.pythonTypeName)")
        }
    }
}
