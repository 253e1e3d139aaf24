/// A JSON object that keeps its keys in insertion order, like a Python `dict`.
///
/// Setting an existing key replaces its value in place; setting a new key appends it. Equality ignores
/// order (as Python's `dict.__eq__` does), serialization keeps it.
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSONValue)

    private var keyList: [String] = []
    private var valueList: [JSONValue] = []
    /// Key → position, maintained only once the object is large enough for linear search to hurt.
    private var positions: [String: Int] = [:]

    private static let indexThreshold = 12

    /// An empty object.
    public init() {}

    /// An object from key/value pairs in order; a repeated key keeps its first position and its last value
    /// (what `json.loads` and `dict(pairs)` do).
    public init(_ pairs: [(String, JSONValue)]) {
        keyList.reserveCapacity(pairs.count)
        valueList.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    /// Number of keys.
    public var count: Int { keyList.count }

    /// `true` when there are no keys.
    public var isEmpty: Bool { keyList.isEmpty }

    /// The keys in order.
    public var keys: [String] { keyList }

    /// The values in key order.
    public var values: [JSONValue] { valueList }

    /// The position of `key`, if present.
    public func index(forKey key: String) -> Int? {
        if !positions.isEmpty { return positions[key] }
        return keyList.firstIndex(of: key)
    }

    /// `true` when `key` is present (even with a `null` value).
    public func contains(_ key: String) -> Bool { index(forKey: key) != nil }

    /// The value for `key`. Setting replaces in place or appends; setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = index(forKey: key) else { return nil }
            return valueList[position]
        }
        set {
            if let newValue {
                if let position = index(forKey: key) {
                    valueList[position] = newValue
                } else {
                    append(key: key, value: newValue)
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Sets `value` for `key`: in place when the key exists, else right after `existingKey`
    /// (or at the end when `existingKey` is absent).
    public mutating func set(_ value: JSONValue, forKey key: String, after existingKey: String) {
        if let position = index(forKey: key) {
            valueList[position] = value
            return
        }
        guard let anchor = index(forKey: existingKey) else {
            append(key: key, value: value)
            return
        }
        keyList.insert(key, at: anchor + 1)
        valueList.insert(value, at: anchor + 1)
        rebuildPositions()
    }

    /// Removes `key` and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = index(forKey: key) else { return nil }
        keyList.remove(at: position)
        let value = valueList.remove(at: position)
        rebuildPositions()
        return value
    }

    /// The key/value pair at `position` (0 ..< count).
    public func element(at position: Int) -> Element {
        (keyList[position], valueList[position])
    }

    private mutating func append(key: String, value: JSONValue) {
        keyList.append(key)
        valueList.append(value)
        if !positions.isEmpty {
            positions[key] = keyList.count - 1
        } else if keyList.count >= Self.indexThreshold {
            rebuildPositions()
        }
    }

    private mutating func rebuildPositions() {
        guard keyList.count >= Self.indexThreshold else {
            positions = [:]
            return
        }
        var map: [String: Int] = [:]
        map.reserveCapacity(keyList.count)
        for (position, key) in keyList.enumerated() { map[key] = position }
        positions = map
    }

    /// Appends without checking for an existing key. Only for builders that already checked.
    mutating func appendUnchecked(key: String, value: JSONValue) {
        append(key: key, value: value)
    }

    mutating func reserveCapacity(_ capacity: Int) {
        keyList.reserveCapacity(capacity)
        valueList.reserveCapacity(capacity)
    }
}

extension JSONObject: Sequence {
    public struct Iterator: IteratorProtocol {
        private let object: JSONObject
        private var position = 0

        init(_ object: JSONObject) { self.object = object }

        public mutating func next() -> Element? {
            guard position < object.count else { return nil }
            defer { position += 1 }
            return object.element(at: position)
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject: Hashable {
    /// Equal when both have the same keys with equal values, in any order (Python's `dict` equality).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.keyList == rhs.keyList { return lhs.valueList == rhs.valueList }
        for (key, value) in lhs {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        // Order-independent: combine per-pair hashes commutatively.
        var combined = 0
        for (key, value) in self {
            var pairHasher = Hasher()
            pairHasher.combine(key)
            pairHasher.combine(value)
            combined = combined &+ pairHasher.finalize()
        }
        hasher.combine(combined)
    }
}

extension JSONObject: CustomStringConvertible, CustomDebugStringConvertible {
    /// The object as Python's `json.dumps` writes it.
    public var description: String { JSONValue.object(self).serializedString(.python) }
    public var debugDescription: String { "JSONObject(\(description))" }
}
