import GRDB
import HostDatabase

/// Reads columns of a GRDB `Row` without GRDB's conversion traps (see `HostRowReading`).
struct RowReader: HostRowReading {
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
}
