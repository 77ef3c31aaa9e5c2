/// Reads JSON text (RFC 8259) a piece at a time, for decoders that want their own types straight from the text
/// without a ``JSONValue`` tree in between; ``JSONParser`` builds trees with it. Every piece read is validated as
/// it is read, and ``finish()`` checks that nothing but white space follows the document.
///
/// Objects are read with ``beginObject()`` and then ``nextKey()`` until it returns nil, each key followed by
/// exactly one value; arrays with ``beginArray()`` and ``nextItem()`` until it returns false.
public struct JSONReader {
    public typealias Failure = JSONParser.Failure

    /// What comes next.
    public enum Token: Sendable, Hashable {
        case object, array, string, number, bool, null
    }

    @usableFromInline let bytes: [UInt8]
    /// Offset of the next byte to read.
    public private(set) var offset: Int
    /// After `{` or `[`: no member or item has been read yet (so no `,` comes before the next one).
    private var atStart = false

    /// A reader of UTF-8 `bytes`, starting at `offset`.
    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    private func fail(_ message: String, at position: Int? = nil) -> Failure {
        Failure(message: message, offset: position ?? offset)
    }

    /// The kind of the next value (after white space), without reading it.
    public mutating func peek() throws(Failure) -> Token {
        skipSpace()
        guard offset < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: return .number
        }
    }

    /// Reads `{`.
    public mutating func beginObject() throws(Failure) {
        try expect(UInt8(ascii: "{"), "expected `{`")
        atStart = true
    }

    /// The key of the next member of the object being read (its `:` read too), or nil when the object ends
    /// (its `}` read).
    public mutating func nextKey() throws(Failure) -> String? {
        skipSpace()
        guard offset < bytes.count else { throw fail("unexpected end of input") }
        if bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            atStart = false
            return nil
        }
        if !atStart {
            guard bytes[offset] == UInt8(ascii: ",") else { throw fail("expected `,` or `}`") }
            offset += 1
            skipSpace()
            guard offset < bytes.count else { throw fail("unexpected end of input") }
        }
        guard bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
        let key = try scanString()
        try expect(UInt8(ascii: ":"), "expected `:`")
        atStart = false
        return key
    }

    /// Reads `[`.
    public mutating func beginArray() throws(Failure) {
        try expect(UInt8(ascii: "["), "expected `[`")
        atStart = true
    }

    /// Whether another item of the array being read follows (its `,` read), or false when the array ends (its `]`
    /// read).
    public mutating func nextItem() throws(Failure) -> Bool {
        skipSpace()
        guard offset < bytes.count else { throw fail("unexpected end of input") }
        if bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            atStart = false
            return false
        }
        if atStart {
            atStart = false
            return true
        }
        guard bytes[offset] == UInt8(ascii: ",") else { throw fail("expected `,` or `]`") }
        offset += 1
        return true
    }

    /// A string value.
    public mutating func string() throws(Failure) -> String {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        return try scanString()
    }

    /// A number value, as written.
    public mutating func number() throws(Failure) -> String {
        skipSpace()
        return try scanNumber()
    }

    /// A boolean value.
    public mutating func bool() throws(Failure) -> Bool {
        skipSpace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// `null`.
    public mutating func null() throws(Failure) {
        skipSpace()
        try literal("null")
    }

    /// The next value if it is a string; any other value is read and nil returned.
    public mutating func stringIfAny() throws(Failure) -> String? {
        if try peek() == .string { return try scanString() }
        try skipValue()
        return nil
    }

    /// The next value if it is a number written as an integer that fits in `Int`; any other value is read and nil
    /// returned.
    public mutating func intIfAny() throws(Failure) -> Int? {
        if try peek() == .number { return Int(try scanNumber()) }
        try skipValue()
        return nil
    }

    /// The next value, whatever it is, as a tree (nesting limited to `maxDepth`; never recursive).
    public mutating func value(maxDepth: Int = 512) throws(Failure) -> JSONValue {
        var builder = JSONTreeEmitter()
        try read(into: &builder, maxDepth: maxDepth)
        return builder.value ?? .null
    }

    /// Reads the next value, whatever it is, and drops it.
    public mutating func skipValue(maxDepth: Int = 512) throws(Failure) {
        var sink = DiscardingEmitter()
        try read(into: &sink, maxDepth: maxDepth)
    }

    /// The text of the next value when it is an object whose members are all strings, or nil for any other value
    /// (read and dropped). The object is read for its structure (and its escapes checked) without making its strings:
    /// for members kept as text and decoded only when needed (a ``JSONReader`` over the text checks their UTF-8 then).
    /// The text is a slice of the bytes read, not a copy (it keeps them alive).
    public mutating func objectOfStringsText() throws(Failure) -> ArraySlice<UInt8>? {
        guard try peek() == .object else {
            try skipValue()
            return nil
        }
        let start = offset
        offset += 1
        var first = true
        var onlyStrings = true
        while true {
            skipSpace()
            guard offset < bytes.count else { throw fail("unexpected end of input") }
            if bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                break
            }
            if !first {
                guard bytes[offset] == UInt8(ascii: ",") else { throw fail("expected `,` or `}`") }
                offset += 1
                skipSpace()
            }
            first = false
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail(offset < bytes.count ? "expected a string key" : "unexpected end of input") }
            try skipString()
            try expect(UInt8(ascii: ":"), "expected `:`")
            if try peek() == .string {
                try skipString()
            } else {
                onlyStrings = false
                try skipValue()
            }
        }
        atStart = false
        return onlyStrings ? bytes[start..<offset] : nil
    }

    /// Reads a string (at its opening quote) without making it: its escapes and control characters are checked, its
    /// UTF-8 is not.
    private mutating func skipString() throws(Failure) {
        // Over the buffer itself (this runs for every byte of members kept as text, thousands of records' worth).
        var at = offset + 1  // after the opening quote
        let problem: (message: String, at: Int)? = bytes.withUnsafeBufferPointer { buffer in
            while at < buffer.count {
                let byte = buffer[at]
                at += 1
                if byte == UInt8(ascii: "\"") { return nil }
                if byte < 0x20 { return ("control character in a string", at - 1) }
                guard byte == UInt8(ascii: "\\") else { continue }
                guard at < buffer.count else { break }
                let escape = buffer[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"),
                     UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard at + 4 <= buffer.count,
                          buffer[at..<(at + 4)].allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) })
                    else { return ("invalid \\u escape", at) }
                    at += 4
                default:
                    return ("invalid escape", at - 2)
                }
            }
            return ("unterminated string", at)
        }
        offset = at
        if let problem { throw fail(problem.message, at: problem.at) }
    }

    /// Checks that only white space follows.
    public mutating func finish() throws(Failure) {
        skipSpace()
        guard offset == bytes.count else { throw fail("unexpected text after the JSON value") }
    }

    /// Reads the next value, whatever it is, into `emitter`, iteratively.
    mutating func read<E: JSONEmitter>(into emitter: inout E, maxDepth: Int) throws(Failure) {
        // For each open container: true for an object.
        var open: [Bool] = []
        while true {
            // Reading a value: scalars are emitted, containers opened.
            switch try peek() {
            case .object:
                guard open.count < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
                try beginObject()
                emitter.beginObject()
                open.append(true)
            case .array:
                guard open.count < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
                try beginArray()
                emitter.beginArray()
                open.append(false)
            case .string: emitter.string(try scanString())
            case .number: emitter.number(try scanNumber())
            case .bool: emitter.bool(try bool())
            case .null:
                try literal("null")
                emitter.null()
            }
            // Then what follows: the next member or item (read its key, if any, and go on reading a value), or the
            // end of containers.
            while let isObject = open.last {
                if isObject {
                    if let key = try nextKey() {
                        emitter.key(key)
                        break
                    }
                    emitter.endObject()
                } else {
                    if try nextItem() { break }
                    emitter.endArray()
                }
                open.removeLast()
            }
            if open.isEmpty { return }
        }
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(Failure) {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == byte else { throw fail(offset < bytes.count ? message : "unexpected end of input") }
        offset += 1
    }

    private mutating func skipSpace() {
        while offset < bytes.count, bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x0D || bytes[offset] == 0x09 {
            offset += 1
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard offset + expected.count <= bytes.count, bytes[offset..<(offset + expected.count)].elementsEqual(expected) else {
            throw fail("invalid literal")
        }
        offset += expected.count
    }

    private mutating func scanNumber() throws(Failure) -> String {
        let start = offset
        func digits() -> Int {
            let begin = offset
            while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 { offset += 1 }
            return offset - begin
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard offset < bytes.count else { throw fail("invalid number", at: start) }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
        } else if digits() == 0 {
            throw fail("unexpected character", at: start)
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits() > 0 else { throw fail("invalid number", at: start) }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw fail("invalid number", at: start) }
        }
        let end = offset
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }

    /// A string starting at the opening quote under `offset`.
    private mutating func scanString() throws(Failure) -> String {
        offset += 1  // opening quote
        let start = offset
        // Fast path: no escapes, so the text is the bytes themselves.
        var ascii = true
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let end = offset
                // Decoded from contiguous memory: ASCII needs no validation, the rest is validated (never repaired).
                let text: String? = bytes.withUnsafeBufferPointer { buffer in
                    let slice = UnsafeBufferPointer(rebasing: buffer[start..<end])
                    return ascii ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
                }
                guard let text else { throw fail("invalid UTF-8 in a string", at: start) }
                offset += 1
                return text
            }
            if byte >= 0x80 { ascii = false }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in a string") }
            offset += 1
        }
        // Slow path: unescape into a byte buffer, decode once.
        var out = Array(bytes[start..<offset])
        while true {
            guard offset < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string", at: start) }
                return text
            }
            if byte < 0x20 { throw fail("control character in a string") }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                offset += 1
                continue
            }
            offset += 1
            guard offset < bytes.count else { throw fail("unterminated string") }
            let escape = bytes[offset]
            offset += 1
            switch escape {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate")
                    }
                    offset += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                throw fail("invalid escape", at: offset - 1)
            }
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw fail("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[offset]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value * 16 + digit
            offset += 1
        }
        return value
    }
}

/// An emitter that keeps nothing (for skipping values).
struct DiscardingEmitter: JSONEmitter {
    mutating func beginObject() {}
    mutating func key(_ key: String) {}
    mutating func endObject() {}
    mutating func beginArray() {}
    mutating func endArray() {}
    mutating func string(_ value: String) {}
    mutating func number(_ text: String) {}
    mutating func int(_ value: Int) {}
    mutating func bool(_ value: Bool) {}
    mutating func null() {}
}
