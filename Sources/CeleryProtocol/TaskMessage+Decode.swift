public import Foundation
import PythonCompat
import ZlibInflate

extension TaskMessage {
    /// Decodes one Redis list element.
    ///
    /// Accepted forms: the kombu envelope with task protocol 2 or 1 (JSON serializer; body base64 when
    /// `properties.body_encoding == "base64"`, else the string itself; zlib `compression` inflated), a plain JSON
    /// object `{"task", "args", "kwargs"}` with optional `id`, `countdown`, `eta`, `expires` (ISO-8601 or seconds
    /// from `now`) and `priority`, and a bare task name (`[A-Za-z0-9_.:-]+` after trimming whitespace).
    ///
    /// - Parameters:
    ///   - raw: the element's bytes.
    ///   - poppedFrom: the queue name, or the list key the element was popped from (then hand-made messages
    ///     without a `priority` keep the list's priority).
    ///   - now: the time relative `countdown`/`eta`/`expires` seconds count from.
    public static func decode(
        _ raw: [UInt8], poppedFrom: String, now: Date = Date()
    ) throws(MessageDecodeError) -> TaskMessage {
        guard raw.count <= maxBytes else {
            throw MessageDecodeError(.oversized, "message is \(raw.count) bytes, more than the \(maxBytes) allowed")
        }
        let source = KombuKeys.parse(listKey: poppedFrom)
        if let name = bareTaskName(raw) {
            let id = UUID4.make()
            return TaskMessage(
                id: id, task: name, args: [], kwargs: [:], embed: .empty, eta: nil, expires: nil, retries: 0,
                priority: source.priority, queue: source.queue, routingKey: nil, exchange: nil, poppedFrom: poppedFrom,
                rootID: id, parentID: nil, group: nil, groupIndex: nil, ignoreResult: nil, replyTo: nil, origin: nil,
                shadow: nil, timeLimit: .none, deliveryTag: nil, isRedelivered: false, form: .bareName, envelope: nil,
                rawBytes: raw)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(raw, options: .python)
        } catch {
            throw MessageDecodeError(.invalidJSON, "message is neither JSON nor a task name: \(error)")
        }
        guard case .object(let object) = value else {
            throw MessageDecodeError(.notAnObject, "message is a JSON \(value.pythonTypeName), not an object")
        }
        // A kombu envelope has `body` (and no top-level `task`, unless it also has envelope keys);
        // a plain task has `task`, possibly with a stray argument named like an envelope key.
        let envelopeKeys = ["headers", "properties", "content-type"]
        if object.contains("body") && (!object.contains("task") || envelopeKeys.contains(where: object.contains)) {
            return try decodeEnvelope(object, raw: raw, poppedFrom: poppedFrom, source: source)
        }
        if object.contains("task") {
            return try decodePlain(object, raw: raw, poppedFrom: poppedFrom, source: source, now: now)
        }
        throw MessageDecodeError(
            .notATaskMessage, "JSON object has neither 'body' (kombu envelope) nor 'task' (plain task message)")
    }

    // MARK: Bare name

    static func bareTaskName(_ raw: [UInt8]) -> String? {
        var start = 0
        var end = raw.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        while start < end, isSpace(raw[start]) { start += 1 }
        while end > start, isSpace(raw[end - 1]) { end -= 1 }
        guard start < end, end - start <= 256 else { return nil }
        let slice = raw[start..<end]
        for byte in slice {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"),
                UInt8(ascii: "-"):
                continue
            default:
                return nil
            }
        }
        // `true`, `null`, `42`, `-1.5e3` are JSON, not task names.
        if (try? JSONValue.parse(slice, options: .python)) != nil { return nil }
        return String(decoding: slice, as: UTF8.self)
    }

    // MARK: Plain JSON

    static func decodePlain(
        _ object: JSONObject, raw: [UInt8], poppedFrom: String, source: (queue: String, priority: Int), now: Date
    ) throws(MessageDecodeError) -> TaskMessage {
        let task = try taskName(object["task"], field: "task")
        let args = try argsList(object["args"])
        let kwargs = try kwargsObject(object["kwargs"])
        let id = try taskID(object["id"], field: "id") ?? UUID4.make()
        var eta = try date(object["eta"], field: "eta", now: now, allowSeconds: true)
        if let countdown = object["countdown"], !countdown.isNull {
            guard let seconds = countdown.numberValue, seconds.isFinite, countdown.boolValue == nil else {
                throw MessageDecodeError(
                    .invalidDate, "countdown: \(describe(countdown)) is not a number of seconds")
            }
            eta = now.addingTimeInterval(seconds)  // countdown wins over eta, as in Celery's apply_async
        }
        let expires = try date(object["expires"], field: "expires", now: now, allowSeconds: true)
        let priority: Int
        if let value = object["priority"], !value.isNull {
            priority = KombuKeys.priority(from: value)
        } else {
            priority = source.priority
        }
        return TaskMessage(
            id: id, task: task, args: args, kwargs: kwargs, embed: .empty, eta: eta, expires: expires, retries: 0,
            priority: priority, queue: source.queue, routingKey: nil, exchange: nil, poppedFrom: poppedFrom,
            rootID: id, parentID: nil, group: nil, groupIndex: nil, ignoreResult: nil, replyTo: nil, origin: nil,
            shadow: nil, timeLimit: .none, deliveryTag: nil, isRedelivered: false, form: .plainJSON, envelope: nil,
            rawBytes: raw)
    }

    // MARK: Envelope

    private static let unsupportedSerializers: [String: String] = [
        "application/x-msgpack": "msgpack",
        "application/msgpack": "msgpack",
        "application/x-yaml": "YAML",
        "application/yaml": "YAML",
        "application/x-python-serialize": "pickle",
        "application/data": "raw bytes",
        "application/text": "raw text",
    ]

    static func decodeEnvelope(
        _ envelope: JSONObject, raw: [UInt8], poppedFrom: String, source: (queue: String, priority: Int)
    ) throws(MessageDecodeError) -> TaskMessage {
        let headers = try optionalObject(envelope["headers"], field: "headers")
        let properties = try optionalObject(envelope["properties"], field: "properties")

        guard let contentTypeValue = envelope["content-type"], !contentTypeValue.isNull else {
            throw MessageDecodeError(.missingContentType, "envelope has no content-type")
        }
        guard let contentType = contentTypeValue.stringValue else {
            throw MessageDecodeError(.invalidField, "content-type must be a string, got \(contentTypeValue.pythonTypeName)")
        }
        let normalizedType = contentType.trimmingCharacters(in: .whitespaces).lowercased()
        guard normalizedType == "application/json" else {
            let name = unsupportedSerializers[normalizedType].map { " (\($0))" } ?? ""
            throw MessageDecodeError(
                .unsupportedContentType,
                "content-type \(quoted(contentType))\(name) is not supported: only application/json can be decoded")
        }

        let bodyBytes = try bodyBytes(envelope["body"], properties: properties, headers: headers)
        let body: JSONValue
        do {
            body = try JSONValue.parse(bodyBytes, options: .python)
        } catch {
            throw MessageDecodeError(.invalidBody, "body is not valid JSON: \(error)")
        }

        let deliveryInfo = properties["delivery_info"]?.objectValue ?? [:]
        let routingKey = deliveryInfo["routing_key"]?.stringValue
        let exchange = deliveryInfo["exchange"]?.stringValue
        let queue: String
        if let routingKey, !routingKey.isEmpty, exchange == nil || exchange == "" {
            queue = routingKey
        } else {
            queue = source.queue
        }
        let redelivered = headers["redelivered"]?.boolValue == true || deliveryInfo["redelivered"]?.boolValue == true

        var message = TaskMessage(
            id: "", task: "", args: [], kwargs: [:], embed: .empty, eta: nil, expires: nil, retries: 0,
            priority: KombuKeys.priority(from: properties["priority"]), queue: queue, routingKey: routingKey,
            exchange: exchange, poppedFrom: poppedFrom, rootID: nil, parentID: nil, group: nil, groupIndex: nil,
            ignoreResult: nil, replyTo: properties["reply_to"]?.stringValue, origin: nil, shadow: nil,
            timeLimit: .none, deliveryTag: properties["delivery_tag"]?.stringValue, isRedelivered: redelivered,
            form: .protocol2, envelope: envelope, rawBytes: raw)

        if headers.contains("task") {
            try message.fillProtocol2(headers: headers, body: body)
        } else {
            try message.fillProtocol1(body: body)
        }
        return message
    }

    private static func bodyBytes(
        _ value: JSONValue?, properties: JSONObject, headers: JSONObject
    ) throws(MessageDecodeError) -> [UInt8] {
        guard let value, case .string(let body) = value else {
            throw MessageDecodeError(.invalidBody, "body must be a string, got \(value?.pythonTypeName ?? "nothing")")
        }
        var bytes: [UInt8]
        switch properties["body_encoding"] {
        case nil, .null?:
            bytes = Array(body.utf8)
        case .string(let encoding)? where encoding.lowercased() == "base64":
            switch Base64.decode(body) {
            case .success(let decoded): bytes = decoded
            case .failure(let error):
                throw MessageDecodeError(.badBase64, "body is not valid base64: \(error.message) at character \(error.offset)")
            }
        case let other?:
            throw MessageDecodeError(
                .unsupportedBodyEncoding, "body_encoding \(describe(other)) is not supported (only base64)")
        }
        if let compression = headers["compression"], !compression.isNull {
            let name = compression.stringValue ?? ""
            guard ["application/x-gzip", "gzip", "zlib"].contains(name.lowercased()) else {
                throw MessageDecodeError(
                    .unsupportedCompression,
                    "compression \(describe(compression)) is not supported (only zlib, 'application/x-gzip')")
            }
            switch ZlibInflater.inflate(bytes, limit: maxBytes) {
            case .success(let inflated): bytes = inflated
            case .failure(let failure) where failure.tooLarge:
                throw MessageDecodeError(.oversized, "compressed body inflates to more than \(maxBytes) bytes")
            case .failure(let failure):
                throw MessageDecodeError(.unsupportedCompression, "compressed body is corrupt: \(failure.message)")
            }
        }
        return bytes
    }

    private mutating func fillProtocol2(headers: JSONObject, body: JSONValue) throws(MessageDecodeError) {
        form = .protocol2
        task = try Self.taskName(headers["task"], field: "headers.task")
        id = try Self.taskID(headers["id"], field: "headers.id") ?? UUID4.make()
        guard case .array(let parts) = body else {
            throw MessageDecodeError(
                .invalidBody, "body must be a list [args, kwargs, embed], got a \(body.pythonTypeName)")
        }
        guard parts.count == 3 else {
            if parts.count == 2 {
                throw MessageDecodeError(
                    .invalidBody,
                    "body has 2 elements [args, kwargs] but must be [args, kwargs, embed] (Python workers crash on this)")
            }
            throw MessageDecodeError(
                .invalidBody, "body has \(parts.count) elements but must be [args, kwargs, embed]")
        }
        args = try Self.argsList(parts[0])
        kwargs = try Self.kwargsObject(parts[1])
        switch parts[2] {
        case .object(let embedObject): embed = try Embed(object: embedObject)
        case .null: embed = .empty
        default:
            throw MessageDecodeError(.invalidField, "embed must be an object, got \(parts[2].pythonTypeName)")
        }
        try fillCommon(from: headers, now: nil)
        origin = headers["origin"]?.stringValue
        shadow = headers["shadow"]?.stringValue
    }

    private mutating func fillProtocol1(body: JSONValue) throws(MessageDecodeError) {
        form = .protocol1
        guard case .object(let fields) = body else {
            throw MessageDecodeError(
                .missingTaskName,
                "headers.task is missing and the body is a \(body.pythonTypeName), not a protocol-1 dict")
        }
        task = try Self.taskName(fields["task"], field: "task")
        id = try Self.taskID(fields["id"], field: "id") ?? UUID4.make()
        args = try Self.argsList(fields["args"])
        kwargs = try Self.kwargsObject(fields["kwargs"])
        embed = Embed(
            callbacks: try Embed.signatures(fields["callbacks"], field: "callbacks"),
            errbacks: try Embed.signatures(fields["errbacks"], field: "errbacks"),
            chain: nil,
            chord: fields["chord"].flatMap { $0.isNull ? nil : $0 })
        try fillCommon(from: fields, now: nil)
        if fields.contains("taskset") { group = fields["taskset"]?.stringValue }  // Celery: group = taskset
        origin = headers["origin"]?.stringValue
    }

    /// Fields with the same names in protocol-2 headers and protocol-1 bodies.
    private mutating func fillCommon(from fields: JSONObject, now: Date?) throws(MessageDecodeError) {
        eta = try Self.date(fields["eta"], field: "eta", now: now, allowSeconds: false)
        expires = try Self.date(fields["expires"], field: "expires", now: now, allowSeconds: false)
        switch fields["retries"] {
        case nil, .null?: retries = 0
        case .int(let value)?: retries = Int(clamping: value)
        case let other?:
            throw MessageDecodeError(.invalidField, "retries must be an integer, got \(Self.describe(other))")
        }
        rootID = fields["root_id"]?.stringValue
        parentID = fields["parent_id"]?.stringValue
        group = fields["group"]?.stringValue
        groupIndex = fields["group_index"]?.intValue
        ignoreResult = fields["ignore_result"]?.boolValue
        if case .array(let limits)? = fields["timelimit"] {
            timeLimit = TimeLimit(hard: limits.first?.numberValue, soft: limits.count > 1 ? limits[1].numberValue : nil)
        }
    }

    // MARK: Field helpers

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return quoted(text)
        case .array, .object: return "a \(value.pythonTypeName)"
        default: return pythonRepr(value)
        }
    }

    private static func optionalObject(_ value: JSONValue?, field: String) throws(MessageDecodeError) -> JSONObject {
        switch value {
        case nil, .null?: return [:]
        case .object(let object)?: return object
        case let other?:
            throw MessageDecodeError(.invalidField, "\(field) must be an object, got \(other.pythonTypeName)")
        }
    }

    static func taskName(_ value: JSONValue?, field: String) throws(MessageDecodeError) -> String {
        guard let value, !value.isNull else {
            throw MessageDecodeError(.missingTaskName, "no task name (\(field) is missing)")
        }
        guard case .string(let name) = value, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw MessageDecodeError(.missingTaskName, "\(field) must be a non-empty string, got \(describe(value))")
        }
        return name
    }

    static func taskID(_ value: JSONValue?, field: String) throws(MessageDecodeError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let id)? where !id.isEmpty: return id
        case let other?:
            throw MessageDecodeError(.invalidField, "\(field) must be a non-empty string, got \(describe(other))")
        }
    }

    static func argsList(_ value: JSONValue?) throws(MessageDecodeError) -> [JSONValue] {
        switch value {
        case nil, .null?: return []
        case .array(let elements)?: return elements
        case let other?: throw MessageDecodeError(.argsNotAList, "args must be a list, got \(other.pythonTypeName)")
        }
    }

    static func kwargsObject(_ value: JSONValue?) throws(MessageDecodeError) -> JSONObject {
        switch value {
        case nil, .null?: return [:]
        case .object(let object)?: return object
        case let other?:
            throw MessageDecodeError(.kwargsNotAnObject, "kwargs must be an object, got \(other.pythonTypeName)")
        }
    }

    /// An ISO-8601 string (empty = none, as Celery's `maybe_iso8601`), or with `allowSeconds` a number of
    /// seconds from `now`.
    static func date(
        _ value: JSONValue?, field: String, now: Date?, allowSeconds: Bool
    ) throws(MessageDecodeError) -> Date? {
        guard let value, !value.isNull else { return nil }
        if case .string(let text) = value {
            if text.isEmpty { return nil }
            guard let date = ISODate.parse(text) else {
                throw MessageDecodeError(.invalidDate, "\(field): \(quoted(text)) is not an ISO-8601 date")
            }
            return date
        }
        if allowSeconds, let now, value.boolValue == nil, let seconds = value.numberValue, seconds.isFinite {
            return now.addingTimeInterval(seconds)
        }
        let expectation = allowSeconds ? "an ISO-8601 date or a number of seconds" : "an ISO-8601 date"
        throw MessageDecodeError(.invalidDate, "\(field): \(describe(value)) is not \(expectation)")
    }
}
