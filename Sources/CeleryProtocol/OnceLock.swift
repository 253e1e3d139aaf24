public import PythonCompat

/// Alliance Auth's celery_once locks (celery-once 3.0.1 `QueueOnce`; the keys of each captured message are in
/// Fixtures/celery-messages/README.md): keys in the Django cache (Redis db 1 in AA's template).
public enum OnceLock {
    /// Lock lifetime AA uses (`ONCE` default timeout 3600 s), for `SET key value NX PX`.
    public static let timeoutMilliseconds = 3_600_000

    /// The value django-redis stores: pickle protocol 4 of the string `"lock"` (19 bytes). Nobody reads it.
    public static let value: [UInt8] = [
        0x80, 0x04, 0x95, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8C, 0x04, 0x6C, 0x6F, 0x63, 0x6B, 0x94, 0x2E,
    ]

    /// The lock key for one call: `":1:qo_" + task` + `"_" + name + "-" + str(value)` for every argument
    /// *explicitly passed* (positional arguments bound to `parameters` in order, keywords by name; defaults
    /// not included), sorted by name; values as Python's `str()`.
    ///
    /// Positional arguments beyond `parameters` have no name and are left out (such a call fails to bind
    /// anyway; see `bindArguments`).
    ///
    /// - Parameters:
    ///   - keyPrefix: django's `KEY_PREFIX` (empty in AA).
    ///   - version: django's cache version (1).
    public static func key(
        task: String, parameters: [String], args: [JSONValue], kwargs: JSONObject, keyPrefix: String = "",
        version: Int = 1
    ) -> String {
        var passed: [(name: String, value: JSONValue)] = []
        for (position, value) in args.enumerated() where position < parameters.count {
            passed.append((parameters[position], value))
        }
        for (name, value) in kwargs where !passed.contains(where: { $0.name == name }) {
            passed.append((name, value))
        }
        passed.sort { (lhs: (name: String, value: JSONValue), rhs: (name: String, value: JSONValue)) -> Bool in
            lhs.name.unicodeScalars.lexicographicallyPrecedes(rhs.name.unicodeScalars)
        }
        var key = "qo_" + task
        for (name, value) in passed { key += "_" + name + "-" + pythonStr(value) }
        return keyPrefix + ":" + String(version) + ":" + key
    }
}
