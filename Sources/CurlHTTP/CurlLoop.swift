import CCurl
import Foundation
import LogKeys
import Logging
import Synchronization

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

    /// Whether `shutdown()` was requested (debug check in the client's deinit).
    var isShutDown: Bool {
        inbox.withLock { inbox in
            if case .running = inbox.phase { false } else { true }
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
        if let failure = transfer.configure(job.request) {
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
            outcome = .failure(HTTPClientError(curl: result, transfer))
        }
        recycle(easy)
        let elapsed = ContinuousClock.now - transfer.started
        switch outcome {
        case .success(let response):
            logger.trace("HTTP exchange done", metadata: [
                LogKey.request: "\(transfer.label)", LogKey.status: "\(response.status)", LogKey.elapsed: "\(elapsed)",
            ])
        case .failure(let error):
            logger.debug("HTTP exchange failed", metadata: [
                LogKey.request: "\(transfer.label)", LogKey.error: "\(error.message)", LogKey.elapsed: "\(elapsed)",
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
}
