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

    /// Debug builds stop here when the client is dropped without ``shutdown()`` (as async-http-client
    /// does): its loop thread runs from `init`, so every client must be shut down by its owner.
    deinit {
        assert(core.isShutDown, "CurlHTTPClient dropped without shutdown()")
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
