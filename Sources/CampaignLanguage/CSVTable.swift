/// A minimal RFC 4180 CSV reader that keeps each cell's line and column, for recipient files.
///
/// Cells hold no control characters and no line breaks (a recipient is one line of text); tabs are allowed (white
/// space, trimmed at the ends). Read straight from the UTF-8 bytes, and stored flat (every cell in one array, rows as start indices), so a file
/// of a million rows costs a few large allocations rather than one array per row.
struct CSVTable {
    /// A cell and where it starts. Positions are kept in 32 bits (24 bytes a cell instead of 32: a million-row file
    /// holds a million cells; a line or column past 2^31 is shown as 2^31 - 1).
    struct Cell {
        var text: String
        private var line32: Int32
        private var column32: Int32
        var line: Int { Int(line32) }
        var column: Int { Int(column32) }

        init(text: String, line: Int, column: Int) {
            self.text = text
            line32 = Int32(clamping: line)
            column32 = Int32(clamping: column)
        }
    }

    enum Failure: Error {
        case invalidUTF8
        case unterminatedQuote(line: Int, column: Int)
        case stray(line: Int, column: Int)
        /// A line break (LF, CR or CRLF) inside a quoted cell; the position is the cell's.
        case lineBreakInQuotes(line: Int, column: Int)
        /// A control character (C0 but tab, DEL, C1) in a cell; the position is the cell's.
        case controlCharacter(UInt32, line: Int, column: Int)
    }

    /// Every cell, row after row.
    private(set) var cells: [Cell] = []
    /// Where each row starts in `cells`.
    private(set) var rowStarts: [Int] = []

    /// How many rows there are (blank lines are not rows).
    var rowCount: Int { rowStarts.count }

    /// The cells of row `index` (0-based; the header is row 0). Indexed from `startIndex`, as any slice.
    func row(_ index: Int) -> ArraySlice<Cell> {
        let end = index + 1 < rowStarts.count ? rowStarts[index + 1] : cells.count
        return cells[rowStarts[index]..<end]
    }

    /// Parses `bytes`. A UTF-8 byte-order mark is skipped; CRLF, LF and CR end rows; blank lines are skipped.
    static func parse(_ bytes: [UInt8]) -> Result<CSVTable, Failure> {
        bytes.withUnsafeBufferPointer { parse(buffer: $0) }
    }

    private static func parse(buffer b: UnsafeBufferPointer<UInt8>) -> Result<CSVTable, Failure> {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        var table = CSVTable()
        // Sized once from the line breaks and commas (an upper bound for unquoted text): growing arrays of a million
        // cells by doubling holds the old and the new buffer at once (with 32-bit positions, measured: `validate` of
        // a million-row recipient file peaks at 238 MiB instead of 246).
        var separators = 0, lines = 1
        for byte in b {
            if byte == lineFeed || byte == carriageReturn { lines += 1 } else if byte == comma { separators += 1 }
        }
        table.cells.reserveCapacity(lines + separators)
        table.rowStarts.reserveCapacity(lines)
        var index = b.count >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF ? 3 : 0
        var line = 1
        // Columns count characters (Unicode scalars), as libyaml does: every byte but a UTF-8 continuation byte.
        var column = 1
        var rowStart = 0
        var rowIsBlank = true
        var unquoted: [UInt8] = []

        while true {
            // Read one field starting here.
            let startLine = line
            let startColumn = column
            let text: String
            if index < b.count, b[index] == quote {
                index += 1
                column += 1
                unquoted.removeAll(keepingCapacity: true)
                var closed = false
                while index < b.count {
                    let byte = b[index]
                    if byte == quote {
                        if index + 1 < b.count, b[index + 1] == quote {
                            unquoted.append(quote)
                            index += 2
                            column += 2
                            continue
                        }
                        index += 1
                        column += 1
                        closed = true
                        break
                    }
                    if byte == lineFeed || byte == carriageReturn {
                        return .failure(.lineBreakInQuotes(line: startLine, column: startColumn))
                    }
                    if let control = controlCharacter(b, at: index) {
                        return .failure(.controlCharacter(control, line: startLine, column: startColumn))
                    }
                    if byte & 0xC0 != 0x80 { column += 1 }
                    unquoted.append(byte)
                    index += 1
                }
                if !closed { return .failure(.unterminatedQuote(line: startLine, column: startColumn)) }
                if index < b.count, !(b[index] == comma || b[index] == lineFeed || b[index] == carriageReturn) {
                    return .failure(.stray(line: line, column: column))
                }
                guard let decoded = String(validating: unquoted, as: UTF8.self) else { return .failure(.invalidUTF8) }
                text = decoded
            } else {
                let start = index
                while index < b.count {
                    let byte = b[index]
                    if byte == comma || byte == lineFeed || byte == carriageReturn { break }
                    if byte == quote { return .failure(.stray(line: line, column: column)) }
                    if let control = controlCharacter(b, at: index) {
                        return .failure(.controlCharacter(control, line: startLine, column: startColumn))
                    }
                    if byte & 0xC0 != 0x80 { column += 1 }
                    index += 1
                }
                guard let decoded = String(validating: UnsafeBufferPointer(rebasing: b[start..<index]), as: UTF8.self) else {
                    return .failure(.invalidUTF8)
                }
                text = decoded
            }
            if !text.isEmpty { rowIsBlank = false }
            table.cells.append(Cell(text: text, line: startLine, column: startColumn))
            if index < b.count {
                let separator = b[index]
                index += 1
                if separator == comma {
                    column += 1
                    continue
                }
                if separator == carriageReturn, index < b.count, b[index] == lineFeed { index += 1 }
                line += 1
                column = 1
            }
            // The row is complete; a blank line (one empty field) is not a row.
            let cellCount = table.cells.count - rowStart
            if rowIsBlank, cellCount <= 1 {
                table.cells.removeLast(cellCount)
            } else {
                table.rowStarts.append(rowStart)
            }
            rowStart = table.cells.count
            rowIsBlank = true
            if index >= b.count { break }
        }
        return .success(table)
    }

    /// The control character starting at `index` (C0 other than tab, DEL, or a C1 character, U+0080–U+009F, which
    /// UTF-8 writes as 0xC2 0x80–0x9F), or nil. Line breaks outside quotes end rows before this is asked.
    @inline(__always)
    private static func controlCharacter(_ b: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32? {
        let byte = b[index]
        if byte >= 0x20, byte != 0x7F, byte != 0xC2 { return nil }
        if byte < 0x20 { return byte == UInt8(ascii: "\t") ? nil : UInt32(byte) }
        if byte == 0x7F { return 0x7F }
        if index + 1 < b.count, (0x80...0x9F).contains(b[index + 1]) { return UInt32(b[index + 1]) }
        return nil
    }
}
