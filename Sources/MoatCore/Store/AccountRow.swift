import GRDB
import MoatModel

/// A row that belongs to one account, reached only through that account: another account's
/// token gets 404 for it, as if it did not exist.
protocol AccountRow: FetchableRecord, TableRecord {
    var accountID: String { get }
    /// What it is called in "not found" errors.
    static var noun: String { get }
}

extension AccountRow {
    /// The account's rows of this table.
    static func owned(by accountID: String) -> QueryInterfaceRequest<Self> {
        filter(Column("account_id") == accountID)
    }
}

extension SQLiteStore {
    /// The row `id` of the account, or 404 (also when the account does not exist).
    static func fetchOwned<Row: AccountRow>(_ type: Row.Type, _ db: Database, accountID: String, id: String) throws -> Row {
        try requireAccount(db, accountID)
        guard let row = try Row.fetchOne(db, key: id), row.accountID == accountID else { throw APIError.notFound(Row.noun, id) }
        return row
    }
}
