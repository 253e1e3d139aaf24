public import Foundation
import Synchronization

/// A child process started with `posix_spawn`, reaped with `waitpid` (Foundation's `Process`
/// busy-waits on Linux when waited for off the main thread). Output goes to files so tests can
/// read logs after the fact. Used to run redis-server, the sandbox, release binaries and Python.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let executable: String
    public let stdoutPath: String?
    public let stderrPath: String?
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`. `environment` replaces the inherited one when given.
    /// stdout/stderr go to the given files (created/truncated) or /dev/null.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        stdout: String? = nil, stderr: String? = nil
    ) throws {
        self.executable = executable
        self.stdoutPath = stdout
        self.stderrPath = stderr
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Nothing else is inherited: a long-lived child (the shared test mariadbd) holding, say, the end of
        // Foundation.Process's exit-notification socket or a test's pipe would keep them open forever.
        // (glibc 2.34+ has posix_spawn_file_actions_addclosefrom_np; Swift's Glibc module does not show it.)
        if let closeFrom = spawnCloseFrom { _ = closeFrom(&actions, 3) }

        // Threads of the Swift runtime block signals; without this the child would inherit that mask
        // and ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = environment ?? ProcessInfo.processInfo.environment
        let argv = [executable] + arguments
        let envp = env.map { "\($0.key)=\($0.value)" }
        var child: pid_t = 0
        let rc = withCStrings(argv) { cargv in
            withCStrings(envp) { cenv in
                posix_spawn(&child, executable, &actions, &attributes, cargv, cenv)
            }
        }
        guard rc == 0 else { throw TestSupportError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        pid = child
    }

    /// Whether the process has not been reaped yet (a non-blocking waitpid).
    public var isRunning: Bool {
        exitStatus.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid { status = raw; return false }
            return r == 0
        }
    }

    public func signal(_ sig: Int32) {
        if isRunning { kill(pid, sig) }
    }

    /// Waits for the exit (polling waitpid every few ms on the caller's task; bounded by `timeout`).
    /// Returns the exit code (128 + signal for a signalled process), or nil on timeout.
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return exitCode
    }

    /// The exit code once reaped (128 + signal number when killed by a signal).
    public var exitCode: Int32? {
        guard let raw = exitStatus.withLock({ $0 }) else { return nil }
        let signalled = raw & 0x7f
        return signalled == 0 ? (raw >> 8) & 0xff : 128 + signalled
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`.
    public func terminate(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        if await wait(timeout: grace) == nil {
            signal(SIGKILL)
            _ = await wait(timeout: .seconds(5))
        }
    }

    /// SIGKILL and reap.
    public func killNow() async {
        signal(SIGKILL)
        _ = await wait(timeout: .seconds(5))
    }

    /// What the process wrote to stdout / stderr so far (when redirected to files).
    public func output() -> String { read(stdoutPath) }
    public func errorOutput() -> String { read(stderrPath) }

    private func read(_ path: String?) -> String {
        guard let path, let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    deinit {
        if exitStatus.withLock({ $0 }) == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
        }
    }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private typealias SpawnCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

/// `posix_spawn_file_actions_addclosefrom_np`, looked up at run time.
private let spawnCloseFrom: SpawnCloseFrom? = {
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: SpawnCloseFrom.self)
}()
