import Testing
@testable import PythonCompat

@Suite struct JSONObjectTests {
    @Test func setReplacesInPlaceOrAppends() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = 3
        object["c"] = 4
        #expect(object.keys == ["a", "b", "c"])
        #expect(object["a"] == 3)
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object.count == 2)
        #expect(object["zzz"] == nil)
    }

    @Test func setAfterAnchor() {
        var object: JSONObject = ["correlation_id": "x", "reply_to": "y", "delivery_mode": 2]
        object.set("gen1@vm", forKey: "origin", after: "reply_to")
        #expect(object.keys == ["correlation_id", "reply_to", "origin", "delivery_mode"])
        object.set("gen2@vm", forKey: "origin", after: "correlation_id")
        #expect(object.keys == ["correlation_id", "reply_to", "origin", "delivery_mode"])
        #expect(object["origin"] == "gen2@vm")
        object.set(1, forKey: "z", after: "missing")
        #expect(object.keys.last == "z")
    }

    @Test func equalityIgnoresOrderHashAgrees() {
        let a: JSONObject = ["x": 1, "y": [1, 2]]
        let b: JSONObject = ["y": [1, 2], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1])
        #expect(a != ["x": 2, "y": [1, 2]])
        #expect(Set([JSONValue.object(a), .object(b)]).count == 1)
    }

    @Test func largeObjectsIndexCorrectlyAfterRemoval() {
        var object = JSONObject((0..<40).map { ("k\($0)", JSONValue.int(Int64($0))) })
        object.removeValue(forKey: "k3")
        #expect(object["k4"] == 4)
        #expect(object.index(forKey: "k4") == 3)
        object.set(-1, forKey: "new", after: "k0")
        #expect(object.index(forKey: "new") == 1)
        #expect(object["k39"] == 39)
        #expect(object.keys.count == 40)
    }

    @Test func accessors() {
        let value: JSONValue = ["s": "x", "i": 1, "d": 1.5, "b": true, "a": [1], "o": ["k": nil], "n": nil]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["i"]?.intValue == 1)
        #expect(value["d"]?.intValue == nil)
        #expect(value["d"]?.doubleValue == 1.5)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["a"]?[0] == 1)
        #expect(value["a"]?[1] == nil)
        #expect(value["o"]?.objectValue?["k"]?.isNull == true)
        #expect(value["n"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?["k"] == nil)
        #expect(value.pythonTypeName == "dict")
    }
}
