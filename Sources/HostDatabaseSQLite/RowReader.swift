import GRDB
import HostDatabase

/// Reads columns of a GRDB `Row` without GRDB's conversion traps: a NULL or a value of the wrong
/// type in a required column becomes a `HostDatabaseError`, never a crash.
struct RowReader {
    let row: Row
    let table: String

    func int64(_ index: Int) -> Int64? {
        Int64.fromDatabaseValue(row[index] as DatabaseValue)
    }

    func string(_ index: Int) -> String? {
        String.fromDatabaseValue(row[index] as DatabaseValue)
    }

    func isNull(_ index: Int) -> Bool {
        (row[index] as DatabaseValue).isNull
    }

    func requiredInt64(_ index: Int, _ column: String) throws -> Int64 {
        guard let value = int64(index) else { throw unexpected(index, column, "an integer") }
        return value
    }

    func requiredString(_ index: Int, _ column: String) throws -> String {
        guard let value = string(index) else { throw unexpected(index, column, "text") }
        return value
    }

    private func unexpected(_ index: Int, _ column: String, _ expected: String) -> HostDatabaseError {
        let found = (row[index] as DatabaseValue).isNull ? "NULL" : "a value of another type"
        return HostDatabaseError(.unexpectedValue, "\(table).\(column) is \(found), expected \(expected)")
    }
}
