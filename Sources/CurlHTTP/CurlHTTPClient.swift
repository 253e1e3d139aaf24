import CCurl
import Foundation
public import Logging
import Synchronization

/// Settings of a `CurlHTTPClient`.
public struct CurlHTTPClientOptions: Sendable {
    /// Responses with a larger body fail with `.responseTooLarge`.
    public var maxResponseBytes: Int
    /// Easy handles kept for reuse after a transfer (connections live in the multi handle's cache).
    public var maxIdleHandles: Int
    /// Name of the loop thread.
    public var threadName: String

    public init(maxResponseBytes: Int = 32 << 20, maxIdleHandles: Int = 16, threadName: String = "curl-http") {
        self.maxResponseBytes = maxResponseBytes
        self.maxIdleHandles = maxIdleHandles
        self.threadName = threadName
    }
}

/// An async HTTP client on libcurl's multi interface.
///
/// One dedicated thread owns the `CURLM` handle, its connection cache (keep-alive, reuse) and a free
/// list of easy handles; `send` hands a Sendable request to that thread through a mutex-protected
/// inbox plus `curl_multi_wakeup`, and the thread resumes the caller's continuation when the transfer
/// ends. Nothing blocks Swift's cooperative pool. TLS verification is always on; plain `http://` is
/// refused unless the host is loopback.
public final class CurlHTTPClient: Sendable {
    private let core: CurlLoopCore

    public init(options: CurlHTTPClientOptions = CurlHTTPClientOptions(), logger: Logger = Logger(label: "discord-worker.curl-http")) {
        _ = CurlGlobal.initialized
        guard let multi = curl_multi_init() else {
            preconditionFailure("curl_multi_init failed (out of memory)")
        }
        let core = CurlLoopCore(multi: multi)
        self.core = core
        let thread = Thread {
            CurlLoop(core: core, options: options, logger: logger).run()
        }
        thread.name = options.threadName
        thread.start()
    }

    deinit {
        core.requestShutdown(waiter: nil)
    }

    /// Sends one request and returns the complete response, whatever its status. Throws only for
    /// transport failures, a refused URL, cancellation of the calling task and after `shutdown()`.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        switch URLCheck.check(request.url) {
        case .allowed:
            break
        case .insecure(let host):
            throw HTTPClientError(.insecureURL, "\(request): plain http:// is allowed only for loopback hosts, not '\(host)'; use https://")
        case .invalid(let reason):
            throw HTTPClientError(.invalidURL, "\(request): \(reason)")
        }
        for (name, value) in request.headers where !Self.isSendable(name, value) {
            throw HTTPClientError(.invalidRequest, "\(request): header '\(Self.printableName(name))' contains CR, LF or NUL")
        }
        let core = self.core
        let id = core.ids.wrappingAdd(1, ordering: .relaxed).oldValue
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>) in
                let job = CurlJob(id: id, request: request, continuation: continuation)
                if let refused = core.submit(job) {
                    continuation.resume(returning: .failure(refused))
                } else if Task.isCancelled {
                    core.cancel(id)
                }
            }
        } onCancel: {
            core.cancel(id)
        }
        return try result.get()
    }

    /// Fails queued and running transfers with `.shutdown`, stops the loop thread and frees every
    /// curl handle. Later `send` calls fail with `.shutdown`. Safe to call more than once.
    public func shutdown() async {
        let core = self.core
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.requestShutdown(waiter: continuation)
        }
    }

    private static func isSendable(_ name: String, _ value: String) -> Bool {
        !name.utf8.isEmpty && !name.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 || $0 == 0x3A })
            && !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
    }

    private static func printableName(_ name: String) -> String {
        String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(64).map(Character.init))
    }
}

/// `curl_global_init` exactly once per process, before the first handle.
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
}

/// A request waiting for the loop thread.
struct CurlJob: Sendable {
    let id: UInt64
    let request: HTTPRequest
    let continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>
}

/// State shared between callers and the loop thread.
final class CurlLoopCore: Sendable {
    enum Phase: Sendable { case running, shuttingDown, closed }

    struct Inbox: Sendable {
        var queued: [CurlJob] = []
        var cancelled: Set<UInt64> = []
        /// Submitted and not yet completed.
        var live: Set<UInt64> = []
        var phase: Phase = .running
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let inbox = Mutex(Inbox())
    let ids = Atomic<UInt64>(1)
    /// Only the loop thread uses this handle, except `curl_multi_wakeup` (thread-safe), which is
    /// called with `inbox` locked and only while the phase is not `.closed`, so never after cleanup.
    nonisolated(unsafe) let multi: OpaquePointer

    init(multi: OpaquePointer) {
        self.multi = multi
    }

    /// Queues a job; returns an error instead when the client is shutting down.
    func submit(_ job: CurlJob) -> HTTPClientError? {
        inbox.withLock { inbox in
            guard case .running = inbox.phase else {
                return HTTPClientError(.shutdown, "\(job.request): the HTTP client was shut down")
            }
            inbox.queued.append(job)
            inbox.live.insert(job.id)
            _ = curl_multi_wakeup(multi)
            return nil
        }
    }

    func cancel(_ id: UInt64) {
        inbox.withLock { inbox in
            guard inbox.live.contains(id), case .running = inbox.phase else { return }
            inbox.cancelled.insert(id)
            _ = curl_multi_wakeup(multi)
        }
    }

    func requestShutdown(waiter: CheckedContinuation<Void, Never>?) {
        let closed = inbox.withLock { inbox -> Bool in
            if case .closed = inbox.phase { return true }
            if let waiter { inbox.shutdownWaiters.append(waiter) }
            if case .running = inbox.phase {
                inbox.phase = .shuttingDown
                _ = curl_multi_wakeup(multi)
            }
            return false
        }
        if closed { waiter?.resume() }
    }
}

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
}

/// The loop run by the client's thread. Not Sendable: it lives and dies on that thread.
final class CurlLoop {
    let core: CurlLoopCore
    let options: CurlHTTPClientOptions
    let logger: Logger
    var transfers: [UInt64: CurlTransfer] = [:]
    var byHandle: [OpaquePointer: UInt64] = [:]
    var idle: [OpaquePointer] = []

    init(core: CurlLoopCore, options: CurlHTTPClientOptions, logger: Logger) {
        self.core = core
        self.options = options
        self.logger = logger
    }

    func run() {
        let multi = core.multi
        while true {
            let (jobs, cancelled, phase) = core.inbox.withLock { inbox in
                let taken = (inbox.queued, inbox.cancelled, inbox.phase)
                inbox.queued.removeAll()
                inbox.cancelled.removeAll()
                return taken
            }
            if case .running = phase {} else {
                for job in jobs {
                    finish(job.id, job.continuation, .failure(HTTPClientError(.shutdown, "\(job.request): the HTTP client was shut down")))
                }
                for id in Array(transfers.keys) {
                    abort(id, HTTPClientError.Code.shutdown, "the HTTP client was shut down")
                }
                break
            }
            for job in jobs {
                if cancelled.contains(job.id) {
                    finish(job.id, job.continuation, .failure(HTTPClientError(.cancelled, "\(job.request): cancelled")))
                } else {
                    start(job)
                }
            }
            for id in cancelled where transfers[id] != nil {
                abort(id, .cancelled, "cancelled")
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                complete(easy, message.pointee.data.result)
            }
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for easy in idle { curl_easy_cleanup(easy) }
        idle.removeAll()
        let waiters = core.inbox.withLock { inbox in
            inbox.phase = .closed
            let waiters = inbox.shutdownWaiters
            inbox.shutdownWaiters.removeAll()
            return waiters
        }
        curl_multi_cleanup(multi)
        logger.debug("curl HTTP loop stopped")
        for waiter in waiters { waiter.resume() }
    }

    private func finish(
        _ id: UInt64,
        _ continuation: CheckedContinuation<Result<HTTPResponse, HTTPClientError>, Never>,
        _ result: Result<HTTPResponse, HTTPClientError>
    ) {
        core.inbox.withLock { inbox in
            inbox.live.remove(id)
            inbox.cancelled.remove(id)
        }
        continuation.resume(returning: result)
    }

    private func start(_ job: CurlJob) {
        let easy: OpaquePointer
        if let reused = idle.popLast() {
            curl_easy_reset(reused)
            easy = reused
        } else if let fresh = curl_easy_init() {
            easy = fresh
        } else {
            finish(job.id, job.continuation, .failure(HTTPClientError(.other(Int(CURLE_OUT_OF_MEMORY.rawValue)), "\(job.request): curl_easy_init failed")))
            return
        }
        let transfer = CurlTransfer(job: job, easy: easy, maxBytes: options.maxResponseBytes)
        if let failure = configure(transfer, job.request) {
            curl_easy_cleanup(easy)
            finish(job.id, job.continuation, .failure(failure))
            return
        }
        let added = curl_multi_add_handle(core.multi, easy)
        guard added == CURLM_OK else {
            curl_easy_cleanup(easy)
            let reason = String(cString: curl_multi_strerror(added))
            finish(job.id, job.continuation, .failure(HTTPClientError(.other(Int(added.rawValue)), "\(job.request): \(reason)")))
            return
        }
        transfers[job.id] = transfer
        byHandle[easy] = job.id
    }

    /// Sets every option for one request; nil on success.
    private func configure(_ transfer: CurlTransfer, _ request: HTTPRequest) -> HTTPClientError? {
        let easy = transfer.easy
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
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(transfer.errorBuffer)))
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, nil))

        let context = Unmanaged.passUnretained(transfer).toOpaque()
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
        transfer.headerList = list
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
            return HTTPClientError(.other(Int(code.rawValue)), "\(transfer.label): cannot set up the request: \(String(cString: curl_easy_strerror(code)))")
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

    private func complete(_ easy: OpaquePointer, _ result: CURLcode) {
        guard let id = byHandle.removeValue(forKey: easy), let transfer = transfers.removeValue(forKey: id) else {
            _ = curl_multi_remove_handle(core.multi, easy)
            curl_easy_cleanup(easy)
            return
        }
        _ = curl_multi_remove_handle(core.multi, easy)
        let outcome: Result<HTTPResponse, HTTPClientError>
        if result == CURLE_OK {
            var status = 0
            var newConnections = 0
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &newConnections)
            outcome = .success(HTTPResponse(status: status, headers: transfer.headers, body: transfer.body,
                                            reusedConnection: newConnections == 0))
        } else {
            outcome = .failure(Self.error(for: result, transfer))
        }
        recycle(easy)
        let elapsed = ContinuousClock.now - transfer.started
        switch outcome {
        case .success(let response):
            logger.trace("HTTP exchange done", metadata: [
                "request": "\(transfer.label)", "status": "\(response.status)", "elapsed": "\(elapsed)",
            ])
        case .failure(let error):
            logger.debug("HTTP exchange failed", metadata: [
                "request": "\(transfer.label)", "error": "\(error.message)", "elapsed": "\(elapsed)",
            ])
        }
        finish(id, transfer.continuation, outcome)
    }

    private func abort(_ id: UInt64, _ code: HTTPClientError.Code, _ reason: String) {
        guard let transfer = transfers.removeValue(forKey: id) else { return }
        byHandle.removeValue(forKey: transfer.easy)
        _ = curl_multi_remove_handle(core.multi, transfer.easy)
        // A handle removed mid-transfer may hold a half-used connection state: do not reuse it.
        curl_easy_cleanup(transfer.easy)
        finish(id, transfer.continuation, .failure(HTTPClientError(code, "\(transfer.label): \(reason)")))
    }

    private func recycle(_ easy: OpaquePointer) {
        if idle.count < options.maxIdleHandles {
            idle.append(easy)
        } else {
            curl_easy_cleanup(easy)
        }
    }

    static func error(for code: CURLcode, _ transfer: CurlTransfer) -> HTTPClientError {
        let detail = transfer.curlErrorDetail
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let message = "\(transfer.label): \(reason)"
        if transfer.tooLarge {
            return HTTPClientError(.responseTooLarge, "\(transfer.label): response body larger than \(transfer.maxBytes) bytes")
        }
        return HTTPClientError(classify(code), message)
    }

    static func classify(_ code: CURLcode) -> HTTPClientError.Code {
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

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        if ms.overflow || seconds < 0 { return seconds < 0 ? 1 : Int.max / 2 }
        return max(1, Int(ms.partialValue) + Int(attoseconds / 1_000_000_000_000_000))
    }
}
