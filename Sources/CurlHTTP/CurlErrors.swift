import CCurl

/// How curl's result codes map to `HTTPClientError`.
extension HTTPClientError {
    /// The error for a transfer that curl ended with `code` (a response over the size limit first).
    init(curl code: CURLcode, _ transfer: CurlTransfer) {
        let detail = transfer.curlErrorDetail
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let message = "\(transfer.label): \(reason)"
        if transfer.tooLarge {
            self.init(.responseTooLarge, "\(transfer.label): response body larger than \(transfer.maxBytes) bytes")
        } else {
            self.init(Self.classify(code), message)
        }
    }

    /// The error code of a curl result other than `CURLE_OK`.
    static func classify(_ code: CURLcode) -> Code {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .connectFailed
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT,
             CURLE_USE_SSL_FAILED:
            return .tls
        default:
            return .other(Int(code.rawValue))
        }
    }
}
