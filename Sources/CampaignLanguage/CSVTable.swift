/// A minimal RFC 4180 CSV reader that keeps each cell's line and column, for recipient files.
struct CSVTable {
    struct Cell {
        var text: String
        var line: Int
        var column: Int
    }

    enum Failure: Error {
        case invalidUTF8
        case unterminatedQuote(line: Int, column: Int)
        case stray(line: Int, column: Int)
    }

    var rows: [[Cell]] = []

    /// Parses `bytes`. A UTF-8 byte-order mark is skipped; CRLF and LF both end rows; blank lines are skipped.
    static func parse(_ bytes: [UInt8]) -> Result<CSVTable, Failure> {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.invalidUTF8) }
        var table = CSVTable()
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var index = 0
        var line = 1
        var column = 1
        var row: [Cell] = []
        var rowIsBlank = true

        func finishRow() {
            if !(rowIsBlank && row.count <= 1 && (row.first?.text.isEmpty ?? true)) { table.rows.append(row) }
            row = []
            rowIsBlank = true
        }

        while index <= scalars.count {
            // Read one field starting here.
            let startLine = line
            let startColumn = column
            var value = String.UnicodeScalarView()
            if index < scalars.count, scalars[index] == "\"" {
                index += 1
                column += 1
                var closed = false
                while index < scalars.count {
                    let c = scalars[index]
                    if c == "\"" {
                        if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                            value.append("\"")
                            index += 2
                            column += 2
                            continue
                        }
                        index += 1
                        column += 1
                        closed = true
                        break
                    }
                    if c == "\n" {
                        line += 1
                        column = 1
                    } else {
                        column += 1
                    }
                    value.append(c)
                    index += 1
                }
                if !closed { return .failure(.unterminatedQuote(line: startLine, column: startColumn)) }
                if index < scalars.count, !(scalars[index] == "," || scalars[index] == "\n" || scalars[index] == "\r") {
                    return .failure(.stray(line: line, column: column))
                }
            } else {
                while index < scalars.count, scalars[index] != ",", scalars[index] != "\n", scalars[index] != "\r" {
                    if scalars[index] == "\"" { return .failure(.stray(line: line, column: column)) }
                    value.append(scalars[index])
                    index += 1
                    column += 1
                }
            }
            let cellText = String(value)
            if !cellText.isEmpty { rowIsBlank = false }
            row.append(Cell(text: cellText, line: startLine, column: startColumn))
            if index >= scalars.count {
                finishRow()
                break
            }
            let separator = scalars[index]
            index += 1
            if separator == "," {
                column += 1
                continue
            }
            if separator == "\r", index < scalars.count, scalars[index] == "\n" { index += 1 }
            line += 1
            column = 1
            finishRow()
            if index == scalars.count { break }
        }
        return .success(table)
    }
}
