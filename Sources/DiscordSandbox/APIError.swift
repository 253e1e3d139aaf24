// Discord's JSON error bodies: {"message": …, "code": …, "errors"?: {…}}.

struct APIError: Error, Sendable {
    var status: Int
    var code: Int
    var message: String
    /// The nested `errors` object of Invalid Form Body answers.
    var errors: JSONNode?

    var json: JSONNode {
        var pairs: [(String, JSONNode)] = [("message", .string(message)), ("code", .int(code))]
        if let errors { pairs.append(("errors", errors)) }
        return .object(pairs)
    }

    static let unauthorized = APIError(status: 401, code: 0, message: "401: Unauthorized")
    static let notFound = APIError(status: 404, code: 0, message: "404: Not Found")
    static let methodNotAllowed = APIError(status: 405, code: 0, message: "405: Method Not Allowed")
    static let unknownGuild = APIError(status: 404, code: 10004, message: "Unknown Guild")
    static let unknownMember = APIError(status: 404, code: 10007, message: "Unknown Member")
    static let unknownRole = APIError(status: 404, code: 10011, message: "Unknown Role")
    static let missingAccess = APIError(status: 403, code: 50001, message: "Missing Access")
    static let missingPermissions = APIError(status: 403, code: 50013, message: "Missing Permissions")
    static let invalidOAuthToken = APIError(status: 403, code: 50025, message: "Invalid OAuth2 access token")
    static let maximumRoles = APIError(status: 400, code: 30005, message: "Maximum number of server roles reached (250)")
    static let invalidJSON = APIError(status: 400, code: 50109, message: "The request body contains invalid JSON.")
    static let payloadTooLarge = APIError(status: 413, code: 0, message: "413: Request Entity Too Large")

    /// 400 50035 Invalid Form Body with one field error, e.g. `field: "nick"`,
    /// `errorCode: "BASE_TYPE_MAX_LENGTH"`, `text: "Must be 32 or fewer in length."`.
    /// `path` nests deeper (e.g. `["roles", "0"]`).
    static func invalidForm(_ path: [String], errorCode: String, text: String) -> APIError {
        var node: JSONNode = .object([("_errors", .array([.object([("code", .string(errorCode)), ("message", .string(text))])]))])
        for component in path.reversed() {
            node = .object([(component, node)])
        }
        return APIError(status: 400, code: 50035, message: "Invalid Form Body", errors: node)
    }

    /// 400 50035 for a body sent without `Content-Type: application/json`.
    static let contentTypeNotJSON = APIError(status: 400, code: 50035, message: "Invalid Form Body")

    static func notSnowflake(_ field: String, _ value: Substring) -> APIError {
        invalidForm([field], errorCode: "NUMBER_TYPE_COERCE", text: "Value \"\(value)\" is not snowflake.")
    }
}
