import Diagnostics

/// Finds tabs used as indentation, which YAML forbids. libyaml rejects them with messages that do not say so;
/// when it stops, the front end looks for a tab in the indentation of the failing line and the line above.
enum TabIndentation {
    /// The location of a tab in the leading white space of `near.line` or the line before it, if any.
    static func find(near location: SourceLocation, in bytes: [UInt8]) -> SourceLocation? {
        let lines = [location.line, location.line - 1].filter { $0 >= 1 }
        for target in lines {
            if let column = tabColumn(onLine: target, in: bytes) {
                return SourceLocation(file: location.file, line: target, column: column)
            }
        }
        return nil
    }

    private static func tabColumn(onLine target: Int, in bytes: [UInt8]) -> Int? {
        var line = 1
        var index = 0
        while line < target {
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
        var column = 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "): column += 1
            case UInt8(ascii: "\t"): return column
            default: return nil
            }
            index += 1
        }
        return nil
    }
}
