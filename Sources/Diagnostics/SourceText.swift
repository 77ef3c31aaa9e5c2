/// The text of source files, used to print the offending line under a diagnostic.
public struct SourceText: Sendable {
    fileprivate var files: [String: [UInt8]]

    /// An empty set of files.
    public init() { files = [:] }

    /// Records the bytes of `path`.
    public mutating func add(path: String, bytes: [UInt8]) { files[path] = bytes }

    /// The 1-based `line` of `path` without its line break, decoded as UTF-8 (invalid bytes become U+FFFD),
    /// or nil if the file or line is unknown.
    public func line(_ line: Int, of path: String) -> String? {
        guard line >= 1, let bytes = files[path] else { return nil }
        var current = 1
        var start = 0
        var index = 0
        while current < line {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: "\r") && (index >= bytes.count || bytes[index] != UInt8(ascii: "\n"))) {
                current += 1
                start = index
            }
        }
        if start > bytes.count { return nil }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

extension SourceText {
    /// Whether the text of `path` is recorded.
    public func contains(_ path: String) -> Bool { files[path] != nil }
}
