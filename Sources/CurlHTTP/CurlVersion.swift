import CCurl

extension CurlHTTPClient {
    /// The libcurl the process runs with and its TLS library, read at run time (`curl_version_info`),
    /// e.g. "7.88.1 (OpenSSL/3.0.17)".
    public static let libraryVersion: String = {
        guard let info = ccurl_version_info()?.pointee, let version = info.version else { return "unknown" }
        let curl = String(cString: version)
        guard let tls = info.ssl_version else { return curl }
        return "\(curl) (\(String(cString: tls)))"
    }()
}
