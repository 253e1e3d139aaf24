public import Foundation
import Synchronization

/// Python Celery 5.7 for interop tests and the queue benchmark: finds (or creates, once) a Python with
/// `celery[redis]==5.7.0`, and starts workers and producer scripts from `Fixtures/python` against a
/// private redis-server. Nothing installed by hand is relied on.
///
/// Interpreter, first that works: `$DISCORD_WORKER_PYTHON`; `<repo>/.venv/bin/python` if it imports
/// celery and redis; otherwise `<repo>/.venv` is created (`python3 -m venv` + `pip install`) under a lock
/// file, so parallel tests (and parallel test processes) create it once.
public enum PythonCelery {
    public static let celeryRequirement = "celery[redis]==5.7.0"

    /// `<repo>/Fixtures/python`: the AA-configured app (`aa_celery`), its tasks and the producers.
    public static var fixturesDirectory: String { RepositoryPaths.root + "/Fixtures/python" }

    private static let resolved = Mutex<String?>(nil)

    /// The Python interpreter to use (see the type's documentation). Throws with what to do when none can be had.
    public static func interpreter() async throws -> String {
        if let known = resolved.withLock({ $0 }) { return known }
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["DISCORD_WORKER_PYTHON"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw TestSupportError("DISCORD_WORKER_PYTHON=\(explicit) is not an executable")
            }
            guard await hasCelery(explicit) else {
                throw TestSupportError("DISCORD_WORKER_PYTHON=\(explicit) cannot import celery and redis (pip install '\(celeryRequirement)')")
            }
            resolved.withLock { $0 = explicit }
            return explicit
        }
        let venv = RepositoryPaths.root + "/.venv"
        let python = venv + "/bin/python"
        let lock = try FileLock(path: RepositoryPaths.root + "/.build/venv-create.lock")
        try await lock.acquire(timeout: .seconds(900))
        defer { lock.release() }
        if await !hasCelery(python) {
            try await createVirtualEnvironment(venv)
            guard await hasCelery(python) else {
                throw TestSupportError("created \(venv) but its python still cannot import celery and redis")
            }
        }
        resolved.withLock { $0 = python }
        return python
    }

    /// Environment for Python processes: the inherited one (PATH, HOME, locale) without settings that could
    /// point them elsewhere, plus `PYTHONPATH=Fixtures/python`, the broker and, if given, the result backend.
    public static func environment(brokerURL: String, resultBackend: String? = nil, extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            !["BROKER_URL", "CELERY_RESULT_BACKEND", "PYTHONPATH", "PYTHONHOME", "CELERY_CONFIG_MODULE"].contains(key)
        }
        env["PYTHONPATH"] = fixturesDirectory
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        env["BROKER_URL"] = brokerURL
        if let resultBackend { env["CELERY_RESULT_BACKEND"] = resultBackend }
        for (key, value) in extra { env[key] = value }
        return env
    }

    /// What `interop_tasks.py` writes to stderr on Celery's `worker_ready` signal.
    public static let readyMarker = "interop: worker ready"

    /// Starts `celery -A aa_celery worker` and waits until it is ready to consume (`readyMarker`).
    ///
    /// - Parameters:
    ///   - queues: `-Q`, comma-separated.
    ///   - directory: where `python-worker-<name>.out/.err` go.
    ///   - options: further worker options (default: AA's services worker, `--pool=threads --concurrency=1
    ///     --prefetch-multiplier=1`, without mingle/gossip/heartbeat so it starts fast).
    public static func startWorker(
        queues: String, brokerURL: String, resultBackend: String? = nil, directory: String, name: String = "py",
        options: [String]? = nil, logLevel: String = "INFO", extraEnvironment: [String: String] = [:],
        readyTimeout: Duration = .seconds(60)
    ) async throws -> ChildProcess {
        let python = try await interpreter()
        let workerOptions = options ?? ["--pool=threads", "--concurrency=1", "--prefetch-multiplier=1",
                                        "--without-mingle", "--without-gossip", "--without-heartbeat"]
        let args = ["-m", "celery", "-A", "aa_celery", "worker", "-Q", queues, "-n", "\(name)-\(UUID().uuidString.prefix(6))@%h",
                    "--loglevel=\(logLevel)"] + workerOptions
        let child = try ChildProcess(
            python, args, environment: environment(brokerURL: brokerURL, resultBackend: resultBackend, extra: extraEnvironment),
            stdout: directory + "/python-worker-\(name).out", stderr: directory + "/python-worker-\(name).err")
        do {
            try await waitUntil(timeout: readyTimeout, interval: .milliseconds(50), "Python Celery worker '\(name)' to be ready") {
                guard child.isRunning else {
                    throw TestSupportError("Python worker '\(name)' exited (\(child.exitCode.map(String.init) ?? "?")): \(child.errorOutput().suffix(2000))")
                }
                return child.errorOutput().contains(readyMarker)
            }
        } catch {
            let log = child.errorOutput().suffix(3000)
            await child.terminate()
            throw TestSupportError("\(error)\n--- Python worker log ---\n\(log)")
        }
        return child
    }

    /// Runs `python <script> <arguments>` from `Fixtures/python` as a child process (not waited for).
    public static func startScript(
        _ script: String, _ arguments: [String] = [], brokerURL: String, resultBackend: String? = nil, directory: String,
        name: String, extraEnvironment: [String: String] = [:]
    ) async throws -> ChildProcess {
        let python = try await interpreter()
        return try ChildProcess(
            python, [fixturesDirectory + "/" + script] + arguments,
            environment: environment(brokerURL: brokerURL, resultBackend: resultBackend, extra: extraEnvironment),
            stdout: directory + "/\(name).out", stderr: directory + "/\(name).err")
    }

    /// The JSON after the first stdout line starting with `tag + " "` (the producers' `READY {...}` and
    /// `RESULT {...}` lines), once it is there; throws when the script exits without it or on timeout.
    public static func awaitTaggedLine(_ tag: String, from child: ChildProcess, timeout: Duration = .seconds(60)) async throws -> Data {
        var found: Data?
        try await waitUntil(timeout: timeout, interval: .milliseconds(20), "'\(tag)' line from \(child.executable)") {
            if let line = child.output().split(separator: "\n").first(where: { $0.hasPrefix(tag + " ") }) {
                found = Data(line.dropFirst(tag.count + 1).utf8)
                return true
            }
            if !child.isRunning {
                throw TestSupportError("script exited (\(child.exitCode.map(String.init) ?? "?")) without '\(tag)': \(child.errorOutput().suffix(3000))")
            }
            return false
        }
        guard let found else { throw TestSupportError("no '\(tag)' line") }
        return found
    }

    // MARK: - The virtual environment

    private static func hasCelery(_ python: String) async -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        guard let child = try? ChildProcess(python, ["-c", "import celery, redis"]) else { return false }
        return await child.wait(timeout: .seconds(60)) == 0
    }

    private static func createVirtualEnvironment(_ venv: String) async throws {
        guard let python3 = findExecutable("python3") else {
            throw TestSupportError("python3 not found: install python3 and python3-venv, or set DISCORD_WORKER_PYTHON")
        }
        let log = RepositoryPaths.root + "/.build/venv-create.log"
        try? FileManager.default.createDirectory(atPath: RepositoryPaths.root + "/.build", withIntermediateDirectories: true)
        let create = try ChildProcess(python3, ["-m", "venv", venv], stdout: log, stderr: log + ".err")
        guard await create.wait(timeout: .seconds(120)) == 0 else {
            throw TestSupportError("python3 -m venv \(venv) failed (apt-get install python3-venv?): \(create.errorOutput().suffix(1000))")
        }
        let pip = try ChildProcess(venv + "/bin/pip", ["install", "-q", "--disable-pip-version-check", celeryRequirement],
                                   stdout: log, stderr: log + ".err")
        guard await pip.wait(timeout: .seconds(600)) == 0 else {
            throw TestSupportError("pip install '\(celeryRequirement)' into \(venv) failed: \(pip.errorOutput().suffix(1000))")
        }
    }
}

/// An exclusive `flock` on a file, polled without blocking a thread (parallel tests and test processes).
final class FileLock {
    private let fd: Int32
    private let path: String

    init(path: String) throws {
        self.path = path
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestSupportError("cannot open lock file \(path): errno \(errno)") }
    }

    func acquire(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else { throw TestSupportError("timed out after \(timeout) waiting for lock \(path)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func release() { flock(fd, LOCK_UN) }

    deinit { close(fd) }
}
