public import PythonCompat

/// One parameter of a task function (positional-or-keyword, as AA's tasks declare them).
public struct Parameter: Sendable, Hashable {
    public var name: String
    /// The default value; `nil` means the argument is required.
    public var defaultValue: JSONValue?

    public init(_ name: String, default defaultValue: JSONValue? = nil) {
        self.name = name
        self.defaultValue = defaultValue
    }

    /// A parameter without a default.
    public static func required(_ name: String) -> Parameter { Parameter(name) }
    /// A parameter with a default.
    public static func optional(_ name: String, default value: JSONValue) -> Parameter { Parameter(name, default: value) }

    public var isRequired: Bool { defaultValue == nil }
}

/// A call that Python would reject with `TypeError`; `message` is Python's wording.
public struct BindingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case multipleValues
        case missingArguments
        case tooManyPositional
        case unexpectedKeyword
    }

    public var code: Code
    /// e.g. `update_groups() missing 1 required positional argument: 'user_pk'`.
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Binds `args` and `kwargs` to `parameters` the way Python calls a function: positional arguments fill
/// parameters in order, keywords by name, missing ones take their defaults. Errors and their order follow
/// CPython: unexpected or repeated keywords first, then too many positional arguments, then missing ones.
///
/// - Parameter function: the function name Python puts in front of the message (`update_groups()`); omitted
///   when `nil`.
/// - Returns: every parameter's value, defaults included.
public func bindArguments(
    parameters: [Parameter], args: [JSONValue], kwargs: JSONObject, function: String? = nil
) throws(BindingError) -> [String: JSONValue] {
    let prefix = function.map { $0 + "() " } ?? ""
    var bound: [String: JSONValue] = [:]
    for (position, value) in args.enumerated() where position < parameters.count {
        bound[parameters[position].name] = value
    }
    for (name, value) in kwargs {
        guard parameters.contains(where: { $0.name == name }) else {
            throw BindingError(code: .unexpectedKeyword, message: prefix + "got an unexpected keyword argument '\(name)'")
        }
        guard bound[name] == nil else {
            throw BindingError(code: .multipleValues, message: prefix + "got multiple values for argument '\(name)'")
        }
        bound[name] = value
    }
    if args.count > parameters.count {
        let required = parameters.filter(\.isRequired).count
        let takes: String
        if required == parameters.count {
            takes = "\(parameters.count) positional argument" + (parameters.count == 1 ? "" : "s")
        } else {
            takes = "from \(required) to \(parameters.count) positional arguments"
        }
        let given = args.count == 1 ? "1 was given" : "\(args.count) were given"
        throw BindingError(code: .tooManyPositional, message: prefix + "takes \(takes) but \(given)")
    }
    let missing = parameters.filter { $0.isRequired && bound[$0.name] == nil }.map { "'\($0.name)'" }
    if !missing.isEmpty {
        let names: String
        switch missing.count {
        case 1: names = missing[0]
        case 2: names = missing[0] + " and " + missing[1]
        default: names = missing.dropLast().joined(separator: ", ") + ", and " + missing[missing.count - 1]
        }
        let noun = missing.count == 1 ? "argument" : "arguments"
        throw BindingError(
            code: .missingArguments, message: prefix + "missing \(missing.count) required positional \(noun): \(names)")
    }
    for parameter in parameters where bound[parameter.name] == nil {
        bound[parameter.name] = parameter.defaultValue
    }
    return bound
}
