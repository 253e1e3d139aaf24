import CCurl

/// One transfer in flight: owned by the loop thread, passed to curl callbacks unretained.
final class CurlTransfer {
    let id: UInt64
    let easy: OpaquePointer
    let continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>
    let label: String
    let maxBytes: Int
    let started: ContinuousClock.Instant
    var headerList: UnsafeMutablePointer<curl_slist>?
    var headers = HTTPHeaders()
    var body: [UInt8] = []
    var tooLarge = false
    let errorBuffer: UnsafeMutablePointer<CChar>

    init(job: CurlJob, easy: OpaquePointer, maxBytes: Int) {
        id = job.id
        self.easy = easy
        continuation = job.continuation
        label = job.request.description
        self.maxBytes = maxBytes
        started = .now
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        errorBuffer.deallocate()
    }

    var curlErrorDetail: String {
        String(cString: errorBuffer)
    }

    /// Sets every option for one request; nil on success.
    func configure(_ request: HTTPRequest) -> HTTPClientError? {
        var code = CURLE_OK
        func check(_ result: CURLcode) { if code == CURLE_OK { code = result } }

        check(ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url))
        check(ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        check(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        check(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        check(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        check(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        check(ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.timeouts.connect)))
        check(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeouts.total)))
        check(ccurl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, nil))

        let context = Unmanaged.passUnretained(self).toOpaque()
        check(ccurl_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            let length = size * count
            guard length > 0 else { return 0 }
            guard let data, let userdata else { return 0 }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            if transfer.body.count + length > transfer.maxBytes {
                transfer.tooLarge = true
                return 0
            }
            data.withMemoryRebound(to: UInt8.self, capacity: length) {
                transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
            }
            return length
        })
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        check(ccurl_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            let length = size * count
            guard length > 0, let data, let userdata else { return length }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
            let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
                HeaderLine.parse(UnsafeBufferPointer(start: $0, count: length))
            }
            switch line {
            case .statusLine: transfer.headers = HTTPHeaders()
            case .field(let name, let value): transfer.headers.append(name: name, value: value)
            case .other: break
            }
            return length
        })
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))

        var list: UnsafeMutablePointer<curl_slist>? = nil
        var hasContentType = false
        for (name, value) in request.headers {
            if HTTPHeaders.equalsIgnoringASCIICase(name, "Content-Type") { hasContentType = true }
            // "Name:" would remove a header in curl; "Name;" sends it with an empty value.
            let line = value.isEmpty ? "\(name);" : "\(name): \(value)"
            list = curl_slist_append(list, line)
        }
        list = curl_slist_append(list, "Expect:")
        if !hasContentType { list = curl_slist_append(list, "Content-Type:") }
        headerList = list
        check(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list))

        switch request.method {
        case .get:
            check(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case .head:
            check(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        case .post:
            check(Self.setBody(easy, request.body ?? []))
        case .put, .patch:
            check(Self.setBody(easy, request.body ?? []))
            check(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
        case .delete:
            if let body = request.body { check(Self.setBody(easy, body)) }
            check(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue))
        }
        guard code == CURLE_OK else {
            return HTTPClientError(.other(Int(code.rawValue)), "\(label): cannot set up the request: \(String(cString: curl_easy_strerror(code)))")
        }
        return nil
    }

    /// POST data copied by curl (so the Swift array need not outlive the call).
    private static func setBody(_ easy: OpaquePointer, _ body: [UInt8]) -> CURLcode {
        let sized = ccurl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        guard sized == CURLE_OK else { return sized }
        if body.isEmpty {
            return "".withCString { ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0)) }
        }
        return body.withUnsafeBytes { bytes in
            ccurl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        if ms.overflow || seconds < 0 { return seconds < 0 ? 1 : Int.max / 2 }
        return max(1, Int(ms.partialValue) + Int(attoseconds / 1_000_000_000_000_000))
    }
}
