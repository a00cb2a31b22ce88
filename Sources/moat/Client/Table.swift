import Foundation

/// An aligned text table for people; scripts use --json.
struct Table {
    var headers: [String]
    var rows: [[String]]

    init(_ headers: [String], _ rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }

    func print() {
        Swift.print(rows.isEmpty ? render() + "\n(none)" : render())
    }
}

extension Optional {
    /// A cell: the value, or "-".
    var cell: String {
        switch self {
        case .some(let value): return "\(value)"
        case .none: return "-"
        }
    }
}

extension Date {
    var cell: String { formatted(Date.ISO8601FormatStyle()) }
}
