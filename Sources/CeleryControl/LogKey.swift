import LogKeys

/// The log metadata keys, defined once in LogKeys.
typealias LogKey = LogKeys.LogKey
