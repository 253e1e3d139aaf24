internal import CMariaDB
import Foundation

/// One open connection: the only owner of a `MYSQL*` and its prepared statements (`MYSQL_STMT*`),
/// their `MYSQL_BIND` arrays and buffers, and result metadata (`MYSQL_RES*`). Every call blocks, so
/// a session is used only on its `MariaDBConnection`'s own thread (it is not Sendable).
///
/// Statements are prepared once per session (cached by SQL text) and run with bound parameters
/// only: values never become part of SQL text.
public final class MariaDBSession {
    private var mysql: UnsafeMutablePointer<MYSQL>?
    private var statements: [String: UnsafeMutablePointer<MYSQL_STMT>] = [:]
    /// More distinct statements than this (the bulk reads bind IN-lists of varying length) and the cache is emptied.
    private static let statementCacheLimit = 64

    /// The server's version string, e.g. `10.11.6-MariaDB-0+deb12u1`.
    public let serverVersion: String
    /// The server's id of this connection (for `KILL`).
    public let connectionID: UInt64

    private static let libraryInitialized: Bool = {
        // mysql_library_init is a macro for mysql_server_init: once, before connections are made.
        mysql_server_init(0, nil, nil) == 0
    }()

    /// Opens a connection (blocking, up to the connect timeout) and sets the session up.
    public init(_ configuration: MariaDBConfiguration) throws(MariaDBError) {
        _ = Self.libraryInitialized
        guard let handle = mysql_init(nil) else {
            throw MariaDBError(number: 2008, sqlState: "HY000", message: "out of memory", phase: .connect)
        }
        var connectTimeout = UInt32(max(configuration.connectTimeoutSeconds, 1))
        var ioTimeout = UInt32(max(configuration.ioTimeoutSeconds, 1))
        var off: my_bool = 0
        var on: my_bool = 1
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &connectTimeout)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &ioTimeout)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &ioTimeout)
        mysql_options(handle, MYSQL_OPT_RECONNECT, &off)  // reconnects are the pool's job (a silent one loses session state)
        if let ca = configuration.sslCA { mysql_options(handle, MYSQL_OPT_SSL_CA, ca) }
        if let cert = configuration.sslCert { mysql_options(handle, MYSQL_OPT_SSL_CERT, cert) }
        if let key = configuration.sslKey { mysql_options(handle, MYSQL_OPT_SSL_KEY, key) }
        switch configuration.tlsMode {
        case .disabled:
            break
        case .required:
            mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &on)
            mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &off)
        case .verifyCA, .verifyIdentity:
            mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &on)
            mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on)
        }
        let flags = UInt(CLIENT_FOUND_ROWS)
        let connected = mysql_real_connect(
            handle, configuration.socket == nil ? configuration.host : "localhost", configuration.user,
            configuration.password, configuration.database, UInt32(configuration.port), configuration.socket, flags)
        guard connected != nil else {
            let error = Self.error(of: handle, phase: .connect)
            mysql_close(handle)
            throw error
        }
        // Connector/C 3.3 only refuses a server without TLS when it verifies the certificate; with
        // REQUIRED it would quietly go on in plain text. So check that the connection is encrypted.
        if configuration.tlsMode != .disabled, mysql_get_ssl_cipher(handle) == nil {
            mysql_close(handle)
            throw MariaDBError(
                number: 2026, sqlState: "HY000",
                message: "TLS is required (ssl-mode=\(configuration.tlsMode.rawValue)) but the server does not offer it",
                phase: .connect)
        }
        mysql = handle
        serverVersion = String(cString: mysql_get_server_info(handle))
        connectionID = UInt64(mysql_thread_id(handle))
        // Django stores naive UTC; the bulk reads rely on REPEATABLE READ snapshots.
        try execute(text: "SET time_zone = '+00:00'")
        try execute(text: "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    }

    deinit {
        close()
    }

    /// Frees every statement and closes the connection. Idempotent.
    public func close() {
        for statement in statements.values { mysql_stmt_close(statement) }
        statements.removeAll()
        if let mysql { mysql_close(mysql) }
        mysql = nil
    }

    /// Runs a fixed statement without parameters (transaction control, `SET`, DDL). Never pass
    /// text containing values: use `run(_:_:)`.
    public func execute(text sql: String, phase: MariaDBError.Phase = .execute) throws(MariaDBError) {
        let handle = try open()
        let status = sql.utf8CString.withUnsafeBufferPointer { buffer in
            mysql_real_query(handle, buffer.baseAddress, UInt(buffer.count - 1))
        }
        guard status == 0 else { throw Self.error(of: handle, phase: phase) }
        // Drain any result (e.g. a SELECT by mistake) so the connection stays in sync.
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
    }

    /// `mysql_ping`: one round trip.
    public func ping() throws(MariaDBError) {
        let handle = try open()
        guard mysql_ping(handle) == 0 else { throw Self.error(of: handle, phase: .execute) }
    }

    /// Prepares (once per session) and runs `sql` with `parameters` bound to its `?` placeholders.
    @discardableResult
    public func run(_ sql: String, _ parameters: [MariaDBValue] = []) throws(MariaDBError) -> MariaDBResult {
        let statement = try prepared(sql)
        guard Int(mysql_stmt_param_count(statement)) == parameters.count else {
            throw MariaDBError(
                number: 2034, sqlState: "HY000",
                message: "statement has \(mysql_stmt_param_count(statement)) placeholders, \(parameters.count) values given",
                phase: .execute)
        }
        try bindAndExecute(statement, parameters)
        let affected = mysql_stmt_affected_rows(statement)
        let insertID = mysql_stmt_insert_id(statement)
        let rows = try fetchAll(statement)
        return MariaDBResult(rows: rows, affectedRows: affected == UInt64.max ? 0 : affected, insertID: insertID)
    }

    /// The rows of a query (`run(sql, parameters).rows`).
    public func query(_ sql: String, _ parameters: [MariaDBValue] = []) throws(MariaDBError) -> [[MariaDBValue]] {
        try run(sql, parameters).rows
    }

    // MARK: - Internals

    private func open() throws(MariaDBError) -> UnsafeMutablePointer<MYSQL> {
        guard let mysql else {
            throw MariaDBError(number: 2006, sqlState: "HY000", message: "connection closed", phase: .execute)
        }
        return mysql
    }

    private func prepared(_ sql: String) throws(MariaDBError) -> UnsafeMutablePointer<MYSQL_STMT> {
        if let statement = statements[sql] { return statement }
        let handle = try open()
        if statements.count >= Self.statementCacheLimit {
            for statement in statements.values { mysql_stmt_close(statement) }
            statements.removeAll()
        }
        guard let statement = mysql_stmt_init(handle) else { throw Self.error(of: handle, phase: .prepare) }
        let status = sql.utf8CString.withUnsafeBufferPointer { buffer in
            mysql_stmt_prepare(statement, buffer.baseAddress, UInt(buffer.count - 1))
        }
        guard status == 0 else {
            let error = Self.error(of: statement, phase: .prepare)
            mysql_stmt_close(statement)
            throw error
        }
        var updateMaxLength: my_bool = 1
        mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &updateMaxLength)
        statements[sql] = statement
        return statement
    }

    private func bindAndExecute(_ statement: UnsafeMutablePointer<MYSQL_STMT>, _ parameters: [MariaDBValue])
        throws(MariaDBError)
    {
        let count = parameters.count
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: max(count, 1))
        binds.initialize(repeating: MYSQL_BIND(), count: max(count, 1))
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: max(count, 1))
        lengths.initialize(repeating: 0, count: max(count, 1))
        var buffers: [UnsafeMutableRawPointer] = []
        defer {
            for buffer in buffers { buffer.deallocate() }
            lengths.deallocate()
            binds.deallocate()
        }
        for (index, value) in parameters.enumerated() {
            switch value {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
            case .int(let number):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: number, as: Int64.self)
                buffers.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = buffer
            case .double(let number):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: number, as: Double.self)
                buffers.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                binds[index].buffer = buffer
            case .text(let text):
                let utf8 = Array(text.utf8)
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(utf8.count, 1), alignment: 1)
                utf8.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: utf8.count) }
                buffers.append(buffer)
                lengths[index] = UInt(utf8.count)
                binds[index].buffer_type = MYSQL_TYPE_STRING
                binds[index].buffer = buffer
                binds[index].buffer_length = UInt(utf8.count)
                binds[index].length = lengths + index
            }
        }
        if count > 0, mysql_stmt_bind_param(statement, binds) != 0 {
            throw Self.error(of: statement, phase: .execute)
        }
        guard mysql_stmt_execute(statement) == 0 else { throw Self.error(of: statement, phase: .execute) }
    }

    private func fetchAll(_ statement: UnsafeMutablePointer<MYSQL_STMT>) throws(MariaDBError) -> [[MariaDBValue]] {
        let columns = Int(mysql_stmt_field_count(statement))
        guard columns > 0 else { return [] }
        guard mysql_stmt_store_result(statement) == 0 else { throw Self.error(of: statement, phase: .fetch) }
        defer { mysql_stmt_free_result(statement) }
        guard let metadata = mysql_stmt_result_metadata(statement) else { throw Self.error(of: statement, phase: .fetch) }
        defer { mysql_free_result(metadata) }
        guard let fields = mysql_fetch_fields(metadata) else { throw Self.error(of: statement, phase: .fetch) }

        enum Kind { case integer(unsigned: Bool), double, text }
        let binds = UnsafeMutablePointer<MYSQL_BIND>.allocate(capacity: columns)
        binds.initialize(repeating: MYSQL_BIND(), count: columns)
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: columns)
        lengths.initialize(repeating: 0, count: columns)
        let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: columns)
        nulls.initialize(repeating: 0, count: columns)
        let truncated = UnsafeMutablePointer<my_bool>.allocate(capacity: columns)
        truncated.initialize(repeating: 0, count: columns)
        var buffers: [UnsafeMutableRawPointer] = []
        var capacities: [Int] = []
        var kinds: [Kind] = []
        defer {
            for buffer in buffers { buffer.deallocate() }
            truncated.deallocate()
            nulls.deallocate()
            lengths.deallocate()
            binds.deallocate()
        }
        for index in 0..<columns {
            let field = fields[index]
            let kind: Kind
            var capacity = 8
            switch field.type {
            case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
                kind = .integer(unsigned: field.flags & UInt32(UNSIGNED_FLAG) != 0)
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].is_unsigned = field.flags & UInt32(UNSIGNED_FLAG) != 0 ? 1 : 0
            case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
                kind = .double
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
            default:
                kind = .text
                // max_length is known after store_result; temporal values are formatted by the
                // connector and need up to 26 bytes (datetime(6)) plus the terminator.
                capacity = max(Int(field.max_length) + 1, 64)
                binds[index].buffer_type = MYSQL_TYPE_STRING
                binds[index].buffer_length = UInt(capacity)
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            buffers.append(buffer)
            capacities.append(capacity)
            kinds.append(kind)
            binds[index].buffer = buffer
            binds[index].length = lengths + index
            binds[index].is_null = nulls + index
            binds[index].error = truncated + index
        }
        guard mysql_stmt_bind_result(statement, binds) == 0 else { throw Self.error(of: statement, phase: .fetch) }

        var rows: [[MariaDBValue]] = []
        rows.reserveCapacity(Int(mysql_stmt_num_rows(statement)))
        while true {
            let status = mysql_stmt_fetch(statement)
            if status == MYSQL_NO_DATA { break }
            if status == 1 { throw Self.error(of: statement, phase: .fetch) }
            var row: [MariaDBValue] = []
            row.reserveCapacity(columns)
            for index in 0..<columns {
                if nulls[index] != 0 {
                    row.append(.null)
                    continue
                }
                switch kinds[index] {
                case .integer(let unsigned):
                    let bits = buffers[index].load(as: UInt64.self)
                    if unsigned, bits > UInt64(Int64.max) {
                        row.append(.text(String(bits)))
                    } else {
                        row.append(.int(Int64(bitPattern: bits)))
                    }
                case .double:
                    row.append(.double(buffers[index].load(as: Double.self)))
                case .text:
                    let length = Int(lengths[index])
                    if length <= capacities[index] - 1 && truncated[index] == 0 {
                        let bytes = UnsafeRawBufferPointer(start: buffers[index], count: length)
                        row.append(.text(String(decoding: bytes, as: UTF8.self)))
                    } else {
                        row.append(.text(try fetchLongColumn(statement, index: index, length: length)))
                    }
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// A column longer than its buffer (MYSQL_DATA_TRUNCATED): fetch it again whole.
    private func fetchLongColumn(_ statement: UnsafeMutablePointer<MYSQL_STMT>, index: Int, length: Int)
        throws(MariaDBError) -> String
    {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: length + 1, alignment: 1)
        defer { buffer.deallocate() }
        var fetched: UInt = 0
        var bind = MYSQL_BIND()
        bind.buffer_type = MYSQL_TYPE_STRING
        bind.buffer = buffer
        bind.buffer_length = UInt(length + 1)
        let status = withUnsafeMutablePointer(to: &fetched) { lengthPointer in
            bind.length = lengthPointer
            return mysql_stmt_fetch_column(statement, &bind, UInt32(index), 0)
        }
        guard status == 0 else { throw Self.error(of: statement, phase: .fetch) }
        return String(decoding: UnsafeRawBufferPointer(start: buffer, count: min(Int(fetched), length)), as: UTF8.self)
    }

    private static func error(of handle: UnsafeMutablePointer<MYSQL>, phase: MariaDBError.Phase) -> MariaDBError {
        MariaDBError(
            number: mysql_errno(handle), sqlState: String(cString: mysql_sqlstate(handle)),
            message: String(cString: mysql_error(handle)), phase: phase)
    }

    private static func error(of statement: UnsafeMutablePointer<MYSQL_STMT>, phase: MariaDBError.Phase) -> MariaDBError {
        MariaDBError(
            number: mysql_stmt_errno(statement), sqlState: String(cString: mysql_stmt_sqlstate(statement)),
            message: String(cString: mysql_stmt_error(statement)), phase: phase)
    }
}
