/// Which URLs the client may open: `https://` anywhere, `http://` only to a loopback host
/// (127.0.0.0/8, ::1, localhost), so that a bot token never crosses a network in clear text.
public enum URLCheck {
    public enum Verdict: Equatable, Sendable {
        case allowed
        case insecure(host: String)
        case invalid(String)
    }

    public static func check(_ url: String) -> Verdict {
        guard let parts = split(url) else {
            return .invalid("not an absolute http(s) URL")
        }
        switch parts.scheme {
        case "https":
            return parts.host.isEmpty ? .invalid("URL has no host") : .allowed
        case "http":
            if parts.host.isEmpty { return .invalid("URL has no host") }
            return isLoopback(host: parts.host) ? .allowed : .insecure(host: parts.host)
        default:
            return .invalid("scheme '\(parts.scheme)' is not http or https")
        }
    }

    /// `localhost`, 127.0.0.0/8 in dotted-quad form, `::1` (brackets optional).
    public static func isLoopback(host rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "localhost." { return true }
        if host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        var values: [Int] = []
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCIIDigit), let v = Int(octet), v <= 255 else {
                return false
            }
            values.append(v)
        }
        return values[0] == 127
    }

    /// Scheme (lowercased) and host (lowercased, IPv6 without brackets) of an absolute URL.
    static func split(_ url: String) -> (scheme: String, host: String)? {
        guard let sep = url.range(of: "://") else { return nil }
        let scheme = url[..<sep.lowerBound].lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            return nil
        }
        let rest = url[sep.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
        } else {
            host = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        }
        return (scheme, host.lowercased())
    }

    /// The URL without user info, query and fragment, for messages and logs.
    public static func withoutQuery(_ url: String) -> String {
        var result = url
        if let end = result.firstIndex(where: { $0 == "?" || $0 == "#" }) { result = String(result[..<end]) }
        if let sep = result.range(of: "://") {
            let rest = result[sep.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result = String(result[..<sep.upperBound]) + String(rest[rest.index(after: at)...])
            }
        }
        return result
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
