import SerialExecutors

/// One connection slot of a `MariaDBPool`: an actor on its own serial dispatch queue (so the
/// connector's blocking calls never occupy Swift's cooperative pool) holding at most one open
/// `MariaDBSession`, opened lazily and dropped after a connection error.
public actor MariaDBConnection {
    private let executor: SerialQueueExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let configuration: MariaDBConfiguration
    private var session: MariaDBSession?

    public init(configuration: MariaDBConfiguration, label: String = "mariadb") {
        self.configuration = configuration
        executor = SerialQueueExecutor(label: label)
    }

    /// Whether a session is open (it may still turn out dead on its next use).
    public var isOpen: Bool { session != nil }

    /// The server's id of the open session, nil when none is open.
    public var connectionID: UInt64? { session?.connectionID }

    /// Runs `body` with the open session, connecting first when needed. After an error of kind
    /// `.connectionLost` the session is closed; the next call reconnects.
    public func withSession<T: Sendable>(_ body: @Sendable (MariaDBSession) throws -> T) throws -> T {
        let current: MariaDBSession
        if let session {
            current = session
        } else {
            current = try MariaDBSession(configuration)
            session = current
        }
        do {
            return try body(current)
        } catch let error as MariaDBError where error.kind == .connectionLost {
            drop()
            throw error
        }
    }

    /// Closes the session (the next use reconnects).
    public func drop() {
        session?.close()
        session = nil
    }
}
