public import Foundation
public import PythonCompat

extension TaskMessage {
    /// Largest `argsrepr`/`kwargsrepr` Celery writes (`argsrepr_maxsize`/`kwargsrepr_maxsize`).
    public static let reprMaxLength = 1024

    /// A new protocol-2 message exactly as Celery 5 writes one (compare Fixtures/celery-messages, e.g.
    /// `update_groups_delay.json`): every header Python
    /// writes, `properties` with `delivery_info {"exchange": "", "routing_key": queue}`, the body
    /// `[args, kwargs, embed]` as `json.dumps` text in base64, the envelope in `json.dumps` style.
    ///
    /// - Parameters:
    ///   - id: task id; a new uuid4 when `nil`. `root_id` defaults to it (a new workflow).
    ///   - priority: 0...9 (clamped); AA's `task_default_priority` is 5.
    ///   - expires: also sets `properties.expiration` (milliseconds from `now`, as kombu does).
    ///   - ignoreResult: `false` for `apply_async`/`delay`, `nil` (null) for `send_task`/`celery call`.
    ///   - argsrepr: Python repr of the arguments; by default `()` for no arguments, else the list repr
    ///     (`[1]`, what `apply_async(args=[1])` writes).
    ///   - replyTo: `properties.reply_to`; a new uuid when `nil`.
    ///   - deliveryTag: a new uuid4 when `nil`.
    ///   - extraHeaders: custom headers merged at the top level of `headers`, as `apply_async(headers=…)` does.
    public static func newTask(
        name: String,
        args: [JSONValue] = [],
        kwargs: JSONObject = [:],
        id: String? = nil,
        queue: String,
        priority: Int = 5,
        eta: Date? = nil,
        expires: Date? = nil,
        origin: String,
        rootID: String? = nil,
        parentID: String? = nil,
        embed: Embed = .empty,
        group: String? = nil,
        groupIndex: Int? = nil,
        retries: Int = 0,
        ignoreResult: Bool? = false,
        shadow: String? = nil,
        timeLimit: TimeLimit = .none,
        argsrepr: String? = nil,
        kwargsrepr: String? = nil,
        replyTo: String? = nil,
        deliveryTag: String? = nil,
        extraHeaders: JSONObject = [:],
        now: Date = Date()
    ) -> OutgoingMessage {
        let taskID = id ?? UUID4.make()
        let priority = KombuKeys.clampedPriority(priority)
        let envelope = makeEnvelope(
            name: name, args: args, kwargs: kwargs, taskID: taskID, queue: queue, priority: priority, eta: eta,
            expires: expires, origin: origin, rootID: rootID, parentID: parentID, embed: embed.jsonObject,
            group: group, groupIndex: groupIndex, retries: retries, ignoreResult: ignoreResult, shadow: shadow,
            timeLimit: timeLimit, argsrepr: argsrepr, kwargsrepr: kwargsrepr, replyTo: replyTo,
            deliveryTag: deliveryTag, extraHeaders: extraHeaders, now: now)
        return OutgoingMessage(
            listKey: KombuKeys.listKey(queue: queue, priority: priority), bytes: envelope.serialized(.python),
            id: taskID, task: name, queue: queue, priority: priority, eta: eta)
    }

    /// The protocol-2 envelope `newTask` serializes; `embed` is taken as raw JSON.
    static func makeEnvelope(
        name: String, args: [JSONValue], kwargs: JSONObject, taskID: String, queue: String, priority: Int,
        eta: Date?, expires: Date?, origin: String, rootID: String?, parentID: String?, embed: JSONObject,
        group: String?, groupIndex: Int?, retries: Int, ignoreResult: Bool?, shadow: String?, timeLimit: TimeLimit,
        argsrepr: String?, kwargsrepr: String?, replyTo: String?, deliveryTag: String?, extraHeaders: JSONObject,
        now: Date
    ) -> JSONObject {
        var expiration: String?
        if let expires {
            let milliseconds = max(0, (expires.timeIntervalSince(now) * 1000).rounded())
            expiration = String(Int64(milliseconds))
        }

        var headers: JSONObject = [
            "lang": "py",
            "task": .string(name),
            "id": .string(taskID),
            "shadow": optional(shadow),
            "eta": optional(eta.map(ISODate.format)),
            "expires": optional(expires.map(ISODate.format)),
            "group": optional(group),
            "group_index": groupIndex.map { JSONValue($0) } ?? .null,
            "retries": JSONValue(retries),
            "timelimit": timeLimit.json,
            "root_id": .string(rootID ?? taskID),
            "parent_id": optional(parentID),
            "argsrepr": .string(argsrepr ?? defaultArgsRepr(args)),
            "kwargsrepr": .string(kwargsrepr ?? truncatedRepr(pythonRepr(.object(kwargs)))),
            "origin": .string(origin),
            "ignore_result": ignoreResult.map(JSONValue.bool) ?? .null,
            "replaced_task_nesting": 0,
            "stamped_headers": nil,
            "stamps": [:],
        ]
        for (key, value) in extraHeaders { headers[key] = value }

        var properties: JSONObject = [
            "correlation_id": .string(taskID),
            "reply_to": .string(replyTo ?? UUID4.make()),
            "delivery_mode": 2,
        ]
        if let expiration { properties["expiration"] = .string(expiration) }
        properties["delivery_info"] = ["exchange": "", "routing_key": .string(queue)]
        properties["priority"] = JSONValue(priority)
        properties["body_encoding"] = "base64"
        properties["delivery_tag"] = .string(deliveryTag ?? UUID4.make())

        return [
            "body": .string(encodeBody(args: args, kwargs: kwargs, embed: embed)),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": .object(headers),
            "properties": .object(properties),
        ]
    }

    /// The message Celery's `self.retry(eta=…)` publishes (Fixtures/celery-messages/
    /// `worker_07_lpush_update_username_r1.json` is one AA's worker published): same id, `retries + 1`,
    /// `parent_id` = own id, the new `eta` (null when `nil`), a new `delivery_tag`, `properties.origin`
    /// (= the original `headers.origin`, which is what Python passes; `origin` only when the message has none);
    /// everything else unchanged, the body bytes included. Redelivery flags are dropped. Messages that are not
    /// protocol 2 are first converted to a protocol-2 envelope.
    public func retryMessage(eta: Date?, origin: String, deliveryTag: String? = nil, now: Date = Date()) -> OutgoingMessage {
        var envelope = protocol2Envelope(origin: origin, now: now)
        var headers = envelope["headers"]?.objectValue ?? [:]
        headers["id"] = .string(id)
        headers["retries"] = JSONValue(retries + 1)
        headers["eta"] = Self.optional(eta.map(ISODate.format))
        headers["parent_id"] = .string(id)
        headers.removeValue(forKey: "redelivered")
        envelope["headers"] = .object(headers)

        var properties = envelope["properties"]?.objectValue ?? [:]
        properties = repairedProperties(properties, deliveryTag: deliveryTag ?? UUID4.make())
        if var deliveryInfo = properties["delivery_info"]?.objectValue {
            deliveryInfo.removeValue(forKey: "redelivered")
            properties["delivery_info"] = .object(deliveryInfo)
        }
        let propertiesOrigin = headers["origin"]?.stringValue ?? origin
        properties.set(
            .string(propertiesOrigin), forKey: "origin",
            after: properties.contains("reply_to") ? "reply_to" : "correlation_id")
        envelope["properties"] = .object(properties)
        return OutgoingMessage(
            listKey: listKey, bytes: envelope.serialized(.python), id: id, task: task, queue: queue,
            priority: priority, eta: eta)
    }

    /// The message kombu puts back when it restores an unacknowledged delivery (kombu's Redis
    /// `QoS.restore_unacked`): the original
    /// envelope with `headers.redelivered = true` and `properties.delivery_info.redelivered = true`,
    /// `delivery_tag` kept, on the list of its queue and priority. A missing `delivery_info`
    /// (`exchange`/`routing_key`) or `delivery_tag` is filled in, so Python workers can take the message.
    /// Plain-JSON and bare-name messages come back as their original bytes.
    public func redelivered() -> OutgoingMessage {
        guard var envelope, form == .protocol2 || form == .protocol1 else {
            return OutgoingMessage(
                listKey: listKey, bytes: rawBytes, id: id, task: task, queue: queue, priority: priority, eta: eta)
        }
        if var headers = envelope["headers"]?.objectValue {
            headers["redelivered"] = true
            envelope["headers"] = .object(headers)
        }
        var properties = repairedProperties(
            envelope["properties"]?.objectValue ?? [:], deliveryTag: deliveryTag ?? UUID4.make())
        if var deliveryInfo = properties["delivery_info"]?.objectValue {
            deliveryInfo["redelivered"] = true
            properties["delivery_info"] = .object(deliveryInfo)
        }
        envelope["properties"] = .object(properties)
        return OutgoingMessage(
            listKey: listKey, bytes: envelope.serialized(.python), id: id, task: task, queue: queue,
            priority: priority, eta: eta)
    }

    /// This message as a kombu envelope that Python workers accept: protocol-2 messages unchanged (their
    /// original bytes), protocol-1, plain-JSON and bare-name messages converted to a protocol-2 envelope
    /// with the same id, arguments, eta, expires, retries, priority and queue.
    public func toEnvelope(origin: String, now: Date = Date()) -> OutgoingMessage {
        let bytes = form == .protocol2 ? rawBytes : protocol2Envelope(origin: origin, now: now).serialized(.python)
        return OutgoingMessage(
            listKey: listKey, bytes: bytes, id: id, task: task, queue: queue, priority: priority, eta: eta)
    }

    /// The next chain step Celery publishes after this task succeeded (what AA's worker published after
    /// Fixtures/celery-messages/`worker_00_lpush_update_groups_r0.json`), or `nil` when no
    /// chain remains: `next = chain.last`, args `[result] + next.args` unless immutable, `embed.chain` =
    /// `chain[:-1]` (`[]` for the last step), `parent_id` = this id, `root_id` = this root, priority
    /// `next.options.priority` else `defaultPriority` (not inherited), queue `next.options.queue` else
    /// `route(task)` else `celery`. For protocol-1 messages, where a chain is nested callbacks, use
    /// `callbackMessages`.
    public func chainContinuation(
        result: JSONValue, origin: String, now: Date = Date(), defaultPriority: Int = 5,
        route: (String) -> String?
    ) -> OutgoingMessage? {
        guard let chain = embed.chain, let next = chain.last else { return nil }
        return Self.publish(
            next, resultPrefix: [result], chain: Array(chain.dropLast()), parentID: id, rootID: rootID ?? id,
            group: nil, groupIndex: nil, origin: origin, now: now, defaultPriority: defaultPriority, route: route)
    }

    /// The `link` callbacks Celery publishes after this task succeeded (celery's `app/trace.py`): args
    /// `[result] + sig.args` unless immutable, `parent_id` = this id, `root_id` = this root; several
    /// callbacks are published as one group (`headers.group`, `group_index`). A callback's own
    /// `options.link` becomes its `embed.callbacks`, which continues protocol-1 chains.
    public func callbackMessages(
        result: JSONValue, origin: String, now: Date = Date(), defaultPriority: Int = 5,
        route: (String) -> String?
    ) -> [OutgoingMessage] {
        guard let callbacks = embed.callbacks, !callbacks.isEmpty else { return [] }
        let groupID = callbacks.count > 1 ? UUID4.make() : nil
        return callbacks.enumerated().map { position, signature in
            Self.publish(
                signature, resultPrefix: [result], chain: nil, parentID: id, rootID: rootID ?? id, group: groupID,
                groupIndex: groupID == nil ? nil : position, origin: origin, now: now,
                defaultPriority: defaultPriority, route: route)
        }
    }

    /// The `link_error` callbacks Celery publishes after this task failed (celery's `Task.on_failure` path), each a group
    /// member: args `[failed task id] + sig.args` unless immutable, `headers.group` = a new group id,
    /// `group_index` 0…, `parent_id` = `root_id` = this task's id.
    public func errbackMessages(
        origin: String, now: Date = Date(), defaultPriority: Int = 5, route: (String) -> String?
    ) -> [OutgoingMessage] {
        guard let errbacks = embed.errbacks, !errbacks.isEmpty else { return [] }
        let groupID = UUID4.make()
        return errbacks.enumerated().map { position, signature in
            Self.publish(
                signature, resultPrefix: [.string(id)], chain: nil, parentID: id, rootID: id, group: groupID,
                groupIndex: position, origin: origin, now: now, defaultPriority: defaultPriority, route: route)
        }
    }

    // MARK: Internals

    /// Publishes a signature as its own message (Celery's `signature.apply_async` from a worker).
    static func publish(
        _ signature: Signature, resultPrefix: [JSONValue], chain: [Signature]?, parentID: String, rootID: String,
        group: String?, groupIndex: Int?, origin: String, now: Date, defaultPriority: Int,
        route: (String) -> String?
    ) -> OutgoingMessage {
        let options = signature.options
        let args = signature.immutable ? signature.args : resultPrefix + signature.args
        var eta: Date?
        if let countdown = options["countdown"]?.numberValue, countdown.isFinite {
            eta = now.addingTimeInterval(countdown)
        } else {
            eta = dateOption(options["eta"], now: now)
        }
        let expires = dateOption(options["expires"], now: now)
        let queue =
            options["queue"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? route(signature.task) ?? "celery"
        let priority: Int
        if let value = options["priority"], !value.isNull {
            priority = KombuKeys.priority(from: value)
        } else {
            priority = defaultPriority
        }
        let embed: JSONObject = [
            "callbacks": signatureList(options["link"]),
            "errbacks": signatureList(options["link_error"]),
            "chain": chain.map { JSONValue.array($0.map(\.json)) } ?? .null,
            "chord": nil,
        ]
        let timeLimit = TimeLimit(hard: options["time_limit"]?.numberValue, soft: options["soft_time_limit"]?.numberValue)
        let taskID = options["task_id"]?.stringValue ?? UUID4.make()
        let envelope = makeEnvelope(
            name: signature.task, args: args, kwargs: signature.kwargs, taskID: taskID, queue: queue,
            priority: priority, eta: eta, expires: expires, origin: origin, rootID: rootID, parentID: parentID,
            embed: embed, group: options["group_id"]?.stringValue ?? group,
            groupIndex: options["group_index"]?.intValue ?? groupIndex, retries: 0,
            ignoreResult: options["ignore_result"]?.boolValue ?? false, shadow: options["shadow"]?.stringValue,
            timeLimit: timeLimit, argsrepr: nil, kwargsrepr: nil, replyTo: options["reply_to"]?.stringValue,
            deliveryTag: nil, extraHeaders: options["headers"]?.objectValue ?? [:], now: now)
        return OutgoingMessage(
            listKey: KombuKeys.listKey(queue: queue, priority: priority), bytes: envelope.serialized(.python),
            id: taskID, task: signature.task, queue: queue, priority: priority, eta: eta)
    }

    private static func signatureList(_ value: JSONValue?) -> JSONValue {
        switch value {
        case .array(let elements)? where !elements.isEmpty: return .array(elements)
        case .object(let object)?: return [.object(object)]
        default: return .null
        }
    }

    private static func dateOption(_ value: JSONValue?, now: Date) -> Date? {
        switch value {
        case .string(let text)?: return ISODate.parse(text)
        case .int, .double:
            guard let seconds = value?.numberValue, seconds.isFinite else { return nil }
            return now.addingTimeInterval(seconds)
        default: return nil
        }
    }

    /// base64 of `json.dumps([args, kwargs, embed])`.
    static func encodeBody(args: [JSONValue], kwargs: JSONObject, embed: JSONObject) -> String {
        Base64.encode(JSONValue.array([.array(args), .object(kwargs), .object(embed)]).serialized(.python))
    }

    static func optional(_ text: String?) -> JSONValue {
        text.map(JSONValue.string) ?? .null
    }

    static func defaultArgsRepr(_ args: [JSONValue]) -> String {
        args.isEmpty ? "()" : truncatedRepr(pythonRepr(.array(args)))
    }

    static func truncatedRepr(_ text: String) -> String {
        text.count > reprMaxLength ? String(text.prefix(reprMaxLength - 3)) + "..." : text
    }

    /// `properties` with `delivery_info.exchange`, `delivery_info.routing_key` and `delivery_tag` present
    /// (Python workers lose or choke on messages without them); `deliveryTag` replaces the tag when the
    /// message is a new publish, and fills it in otherwise.
    func repairedProperties(_ original: JSONObject, deliveryTag newTag: String) -> JSONObject {
        var properties = original
        var deliveryInfo = properties["delivery_info"]?.objectValue ?? [:]
        if deliveryInfo["exchange"]?.stringValue == nil { deliveryInfo["exchange"] = "" }
        if deliveryInfo["routing_key"]?.stringValue == nil { deliveryInfo["routing_key"] = .string(queue) }
        properties["delivery_info"] = .object(deliveryInfo)
        properties["delivery_tag"] = .string(newTag)
        return properties
    }

    /// The envelope as protocol 2: the parsed original for protocol-2 messages, a new envelope otherwise.
    func protocol2Envelope(origin: String, now: Date) -> JSONObject {
        if form == .protocol2, let envelope { return envelope }
        return Self.makeEnvelope(
            name: task, args: args, kwargs: kwargs, taskID: id, queue: queue, priority: priority, eta: eta,
            expires: expires, origin: self.origin ?? origin, rootID: rootID ?? id, parentID: parentID,
            embed: embed.jsonObject, group: group, groupIndex: groupIndex, retries: retries,
            ignoreResult: ignoreResult, shadow: shadow, timeLimit: timeLimit, argsrepr: nil, kwargsrepr: nil,
            replyTo: replyTo, deliveryTag: deliveryTag, extraHeaders: [:], now: now)
    }
}
