public import Foundation
public import PythonCompat

/// kombu's Redis transport as Celery 5.7 uses it for broadcast traffic (kombu/transport/redis.py):
/// a fanout exchange is a Redis PUB/SUB channel, a direct exchange a set of bindings.
///
/// Fanout channel: `keyprefix_fanout + exchange [+ "/" + routing_key]`, where `keyprefix_fanout` is
/// `"/{db}."` formatted with the broker's database number (`fanout_prefix=True`, the default since kombu
/// 4) and the routing key is appended because `fanout_patterns=True`. No `global_keyprefix` (AA sets none).
public enum KombuFanout {
    /// The channel a fanout message to `exchange` with `routingKey` is published on (`_get_publish_topic`).
    public static func channel(exchange: String, routingKey: String = "", database: Int) -> String {
        let prefix = "/\(database)."
        return routingKey.isEmpty ? prefix + exchange : prefix + exchange + "/" + routingKey
    }

    /// The binding table of a direct exchange (`keyprefix_queue`): a set of `routing_key SEP pattern SEP queue`.
    public static func bindingKey(exchange: String) -> String { "_kombu.binding." + exchange }

    /// kombu's `Channel.sep`.
    public static let separator = "\u{06}\u{16}"

    /// The queues bound to `routingKey` in a direct exchange's binding table members (`get_table` + direct lookup).
    public static func directQueues(bindings: [String], routingKey: String) -> [String] {
        var queues: [String] = []
        for member in bindings {
            let parts = member.components(separatedBy: separator)
            guard parts.count == 3, parts[0] == routingKey, !queues.contains(parts[2]) else { continue }
            queues.append(parts[2])
        }
        return queues.sorted()
    }

    /// A kombu message envelope as `Producer.publish` + `Channel._inplace_augment_message` build it for a JSON
    /// body (`json.dumps` style, body base64-encoded), as `_put`/`_put_fanout` serialize it.
    public static func envelope(
        body: JSONValue, headers: JSONObject, exchange: String, routingKey: String, deliveryMode: Int,
        deliveryTag: String = UUID().uuidString.lowercased()
    ) -> [UInt8] {
        let bodyText = Data(body.serialized(.python)).base64EncodedString()
        let properties: JSONObject = [
            "delivery_mode": JSONValue(deliveryMode),
            "delivery_info": ["exchange": .string(exchange), "routing_key": .string(routingKey)],
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": .string(deliveryTag),
        ]
        let envelope: JSONObject = [
            "body": .string(bodyText),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": .object(headers),
            "properties": .object(properties),
        ]
        return JSONValue.object(envelope).serialized(.python)
    }

    /// The JSON body and headers of a kombu envelope (base64 or plain body), or a one-line reason why not.
    public static func decode(_ payload: [UInt8]) -> Result<(body: JSONValue, headers: JSONObject), KombuDecodeError> {
        let envelope: JSONValue
        do {
            envelope = try JSONValue.parse(String(decoding: payload, as: UTF8.self), options: .python)
        } catch {
            return .failure(KombuDecodeError("envelope is not JSON: \(error)"))
        }
        guard let object = envelope.objectValue, let bodyText = object["body"]?.stringValue else {
            return .failure(KombuDecodeError("envelope has no body"))
        }
        if let type = object["content-type"]?.stringValue, type != "application/json" {
            return .failure(KombuDecodeError("content-type \(type) is not accepted (json only)"))
        }
        let encoding = object["properties"]?["body_encoding"]?.stringValue
        var bodyBytes = Array(bodyText.utf8)
        if encoding == "base64" {
            guard let data = Data(base64Encoded: bodyText, options: .ignoreUnknownCharacters) else {
                return .failure(KombuDecodeError("body is not base64"))
            }
            bodyBytes = Array(data)
        }
        do {
            let body = try JSONValue.parse(String(decoding: bodyBytes, as: UTF8.self), options: .python)
            return .success((body, object["headers"]?.objectValue ?? [:]))
        } catch {
            return .failure(KombuDecodeError("body is not JSON: \(error)"))
        }
    }
}

public struct KombuDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
