import OrderedCollections

/// A JSON object that keeps its keys in insertion order, like a Python `dict`.
///
/// Setting an existing key replaces its value in place; setting a new key appends it. Equality ignores
/// order (as Python's `dict.__eq__` does), serialization keeps it.
public struct JSONObject: Sendable {
    public typealias Element = (key: String, value: JSONValue)

    private var storage: OrderedDictionary<String, JSONValue> = [:]

    /// An empty object.
    public init() {}

    /// An object from key/value pairs in order; a repeated key keeps its first position and its last value
    /// (what `json.loads` and `dict(pairs)` do).
    public init(_ pairs: [(String, JSONValue)]) {
        storage.reserveCapacity(pairs.count)
        for (key, value) in pairs { storage[key] = value }
    }

    /// Number of keys.
    public var count: Int { storage.count }

    /// `true` when there are no keys.
    public var isEmpty: Bool { storage.isEmpty }

    /// The keys in order.
    public var keys: [String] { storage.keys.elements }

    /// The values in key order.
    public var values: [JSONValue] { storage.values.elements }

    /// The position of `key`, if present.
    public func index(forKey key: String) -> Int? { storage.index(forKey: key) }

    /// `true` when `key` is present (even with a `null` value).
    public func contains(_ key: String) -> Bool { storage.index(forKey: key) != nil }

    /// The value for `key`. Setting replaces in place or appends; setting `nil` removes the key.
    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set { storage[key] = newValue }
    }

    /// Sets `value` for `key`: in place when the key exists, else right after `existingKey`
    /// (or at the end when `existingKey` is absent).
    public mutating func set(_ value: JSONValue, forKey key: String, after existingKey: String) {
        let anchor = storage.index(forKey: existingKey).map { $0 + 1 } ?? storage.count
        storage.updateValue(value, forKey: key, insertingAt: anchor)
    }

    /// Removes `key` and returns its value.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        storage.removeValue(forKey: key)
    }

    /// The key/value pair at `position` (0 ..< count).
    public func element(at position: Int) -> Element {
        storage.elements[position]
    }
}

extension JSONObject: Sequence {
    public struct Iterator: IteratorProtocol {
        private var base: OrderedDictionary<String, JSONValue>.Iterator

        init(_ object: JSONObject) { base = object.storage.makeIterator() }

        public mutating func next() -> Element? { base.next() }
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
        if lhs.storage == rhs.storage { return true }  // same order
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
