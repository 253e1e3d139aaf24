import Foundation
import Testing
import PythonCompat
@testable import CeleryProtocol

@Suite struct DecodeErrorTests {
    private func error(_ raw: [UInt8], poppedFrom: String = "services") -> MessageDecodeError? {
        do {
            _ = try TaskMessage.decode(raw, poppedFrom: poppedFrom)
            return nil
        } catch {
            return error
        }
    }

    private func error(_ value: JSONValue) -> MessageDecodeError? { error(value.serialized()) }

    /// An envelope around `body` (already-serialized JSON, base64-encoded here).
    private func envelope(
        body: String, headers: JSONObject = ["task": "discord.update_groups", "id": "x"],
        contentType: JSONValue? = "application/json"
    ) -> JSONValue {
        var object: JSONObject = ["body": .string(Base64.encode(utf8(body)))]
        if let contentType { object["content-type"] = contentType }
        object["headers"] = .object(headers)
        object["properties"] = [
            "body_encoding": "base64", "delivery_tag": "t", "delivery_info": ["exchange": "", "routing_key": "services"],
        ]
        return .object(object)
    }

    @Test func invalidJSON() {
        let failure = error(utf8("{\"task\": "))
        #expect(failure?.code == .invalidJSON)
        #expect(failure?.reason.contains("byte 9") == true)
        #expect(error(utf8("discord update")).map(\.code) == .invalidJSON)
        #expect(error([]).map(\.code) == .invalidJSON)
        #expect(error(utf8("   ")).map(\.code) == .invalidJSON)
    }

    @Test func notAnObject() {
        #expect(error(utf8("[1, 2]"))?.reason == "message is a JSON list, not an object")
        #expect(error(utf8("42")).map(\.code) == .notAnObject)
        #expect(error(utf8("null")).map(\.code) == .notAnObject)
        #expect(error(utf8("\"discord.update_all_groups\"")).map(\.code) == .notAnObject)
    }

    @Test func neitherEnvelopeNorTask() {
        #expect(error(["hello": 1]).map(\.code) == .notATaskMessage)
    }

    @Test func missingContentType() {
        let failure = error(envelope(body: "[[], {}, {}]", contentType: nil))
        #expect(failure?.code == .missingContentType)
        #expect(failure?.reason == "envelope has no content-type")
    }

    @Test func unsupportedContentTypesSayWhich() {
        let cases: [(String, String)] = [
            ("application/x-msgpack", "msgpack"), ("application/x-yaml", "YAML"),
            ("application/x-python-serialize", "pickle"),
        ]
        for (type, name) in cases {
            let failure = error(envelope(body: "[[], {}, {}]", contentType: .string(type)))
            #expect(failure?.code == .unsupportedContentType)
            #expect(failure?.reason == "content-type '\(type)' (\(name)) is not supported: only application/json can be decoded")
        }
        #expect(error(envelope(body: "[[], {}, {}]", contentType: "text/plain")).map(\.code) == .unsupportedContentType)
    }

    @Test func badBase64() {
        var object = envelope(body: "[[], {}, {}]").objectValue!
        object["body"] = "W1tdLCB7fSwge31d!!"
        #expect(error(.object(object)).map(\.code) == .badBase64)
        object["body"] = "W1tdLCB7fSwge31dW"
        #expect(error(.object(object)).map(\.code) == .badBase64)
    }

    @Test func unsupportedBodyEncoding() {
        var object = envelope(body: "[[], {}, {}]").objectValue!
        object["properties"] = ["body_encoding": "rot13"]
        #expect(error(.object(object)).map(\.code) == .unsupportedBodyEncoding)
    }

    @Test func bodyShape() {
        let two = error(envelope(body: "[[1], {}]"))
        #expect(two?.code == .invalidBody)
        #expect(two?.reason.contains("2 elements [args, kwargs]") == true)
        #expect(error(envelope(body: "[[1], {}, {}, 4]"))?.code == .invalidBody)
        #expect(error(envelope(body: "{\"args\": []}"))?.code == .invalidBody)
        #expect(error(envelope(body: "not json"))?.code == .invalidBody)
        var object = envelope(body: "[]").objectValue!
        object["body"] = ["args": []]
        #expect(error(.object(object))?.code == .invalidBody)
    }

    @Test func argsAndKwargsTypes() {
        #expect(error(envelope(body: "[{\"a\": 1}, {}, {}]"))?.reason == "args must be a list, got dict")
        #expect(error(envelope(body: "[1, {}, {}]"))?.code == .argsNotAList)
        #expect(error(envelope(body: "[[], [], {}]"))?.reason == "kwargs must be an object, got list")
        #expect(error(["task": "t", "args": "1"])?.code == .argsNotAList)
        #expect(error(["task": "t", "kwargs": [1]])?.code == .kwargsNotAnObject)
    }

    @Test func missingTaskName() {
        #expect(error(envelope(body: "[[], {}, {}]", headers: ["task": "", "id": "x"]))?.code == .missingTaskName)
        #expect(error(envelope(body: "[[], {}, {}]", headers: ["task": 5, "id": "x"]))?.code == .missingTaskName)
        // No headers.task: protocol 1, whose body must be a dict.
        #expect(error(envelope(body: "[[], {}, {}]", headers: ["id": "x"]))?.code == .missingTaskName)
        #expect(error(envelope(body: "{\"args\": []}", headers: [:]))?.code == .missingTaskName)
        #expect(error(["task": nil])?.code == .missingTaskName)
        #expect(error(["task": ""])?.code == .missingTaskName)
    }

    @Test func badDates() {
        let eta = error(envelope(body: "[[], {}, {}]", headers: ["task": "t", "id": "x", "eta": "tomorrow"]))
        #expect(eta?.code == .invalidDate)
        #expect(eta?.reason == "eta: 'tomorrow' is not an ISO-8601 date")
        let expires = error(envelope(body: "[[], {}, {}]", headers: ["task": "t", "id": "x", "expires": 300]))
        #expect(expires?.reason == "expires: 300 is not an ISO-8601 date")
        #expect(error(["task": "t", "eta": "soon"])?.reason == "eta: 'soon' is not an ISO-8601 date")
        #expect(error(["task": "t", "countdown": "30"])?.reason == "countdown: '30' is not a number of seconds")
        #expect(error(["task": "t", "expires": [1]])?.code == .invalidDate)
        #expect(error(["task": "t", "countdown": true])?.code == .invalidDate)
    }

    @Test func invalidFields() {
        #expect(error(envelope(body: "[[], {}, 5]"))?.code == .invalidField)
        #expect(error(envelope(body: "[[], {}, {\"chain\": [5]}]"))?.code == .invalidField)
        #expect(error(envelope(body: "[[], {}, {\"chain\": [{\"args\": []}]}]"))?.reason == "chain[0]: signature without a task name")
        #expect(error(envelope(body: "[[], {}, {}]", headers: ["task": "t", "id": "x", "retries": "1"]))?.code == .invalidField)
        #expect(error(envelope(body: "[[], {}, {}]", headers: ["task": "t", "id": 5]))?.code == .invalidField)
        var object = envelope(body: "[[], {}, {}]").objectValue!
        object["headers"] = [1]
        #expect(error(.object(object))?.code == .invalidField)
    }

    @Test func compression() {
        var object = envelope(body: "[[], {}, {}]", headers: ["task": "t", "id": "x", "compression": "application/x-bz2"]).objectValue!
        let bz2 = error(.object(object))
        #expect(bz2?.code == .unsupportedCompression)
        #expect(bz2?.reason.contains("application/x-bz2") == true)
        object = envelope(body: "[[], {}, {}]", headers: ["task": "t", "id": "x", "compression": "zlib"]).objectValue!
        #expect(error(.object(object))?.code == .unsupportedCompression)  // not zlib data
    }

    @Test func oversized() {
        let raw = [UInt8](repeating: 0x20, count: TaskMessage.maxBytes + 1)
        let failure = error(raw)
        #expect(failure?.code == .oversized)
        #expect(failure?.reason == "message is \(TaskMessage.maxBytes + 1) bytes, more than the 33554432 allowed")
    }
}
