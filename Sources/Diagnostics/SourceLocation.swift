/// A position in a source file: 1-based line and column, columns counted in characters (as libyaml counts them).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The file's path as the user named it (or as discovered below a folder they named).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, in Unicode characters.
    public var column: Int

    /// A location in `file` at `line`:`column` (both 1-based).
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`.
    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}
