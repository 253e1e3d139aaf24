internal import CMariaDB

extension MariaDBSession {
    /// The Connector/C library the process runs with (`mysql_get_client_info`, read at run time), e.g. "3.3.8".
    public static var libraryVersion: String { String(cString: mysql_get_client_info()) }
}
