/// Parses JSON text (RFC 8259) into ``JSONValue``, keeping object members in order and numbers as written.
/// Iterative, with a depth limit, so hostile input cannot exhaust the stack (see ``JSONReader``, which it uses).
public struct JSONParser {
    /// Why a text is not acceptable JSON.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        /// Byte offset where the problem was found.
        public var offset: Int
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Deepest nesting accepted.
    public var maxDepth: Int

    public init(maxDepth: Int = 512) {
        self.maxDepth = maxDepth
    }

    /// Parses UTF-8 `text`.
    public func parse(_ text: String) throws(Failure) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses UTF-8 bytes.
    public func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var reader = JSONReader(bytes)
        let value = try reader.value(maxDepth: maxDepth)
        try reader.finish()
        return value
    }
}
