/// Parses JSON text (RFC 8259) into ``JSONValue``, keeping object members in order and numbers as written.
/// Iterative, with a depth limit, so hostile input cannot exhaust the stack.
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

    /// Open containers: the kind of each level, with their contents in separate stacks so that appending mutates in
    /// place (no copy of a growing array per element).
    private enum Level {
        case array
        case object
    }

    /// Parses UTF-8 bytes.
    public func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        var index = 0
        var levels: [Level] = []
        var arrays: [[JSONValue]] = []
        var objects: [[(String, JSONValue)]] = []
        var keys: [String] = []
        func fail(_ message: String) -> Failure { Failure(message: message, offset: index) }

        /// After a value or an open bracket: whether an object level wants a key next.
        var expectKey = false
        while true {
            skip(bytes, &index)
            guard index < bytes.count else { throw fail("unexpected end of input") }
            if expectKey {
                if bytes[index] == UInt8(ascii: "}"), objects[objects.count - 1].isEmpty {
                    index += 1
                    levels.removeLast()
                    let value = JSONValue.object(objects.removeLast())
                    if let done = try finish(value) { return done }
                    continue
                }
                guard bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                keys.append(try string(bytes, &index))
                skip(bytes, &index)
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected `:`") }
                index += 1
                expectKey = false
                continue
            }
            let value: JSONValue
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard levels.count < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
                index += 1
                levels.append(.object)
                objects.append([])
                expectKey = true
                continue
            case UInt8(ascii: "["):
                guard levels.count < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
                index += 1
                skip(bytes, &index)
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    value = .array([])
                } else {
                    levels.append(.array)
                    arrays.append([])
                    continue
                }
            case UInt8(ascii: "\""):
                value = .string(try string(bytes, &index))
            case UInt8(ascii: "t"):
                try literal("true", bytes, &index)
                value = .bool(true)
            case UInt8(ascii: "f"):
                try literal("false", bytes, &index)
                value = .bool(false)
            case UInt8(ascii: "n"):
                try literal("null", bytes, &index)
                value = .null
            default:
                value = .number(try number(bytes, &index))
            }
            if let done = try finish(value) { return done }
        }

        /// Adds a complete value to the innermost container, closing containers whose end follows; returns the
        /// document once the outermost value is complete.
        func finish(_ first: JSONValue) throws(Failure) -> JSONValue? {
            var value = first
            while true {
                guard let level = levels.last else {
                    skip(bytes, &index)
                    guard index == bytes.count else { throw fail("unexpected text after the JSON value") }
                    return value
                }
                switch level {
                case .array:
                    arrays[arrays.count - 1].append(value)
                    skip(bytes, &index)
                    guard index < bytes.count else { throw fail("unexpected end of input") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        return nil
                    }
                    guard bytes[index] == UInt8(ascii: "]") else { throw fail("expected `,` or `]`") }
                    index += 1
                    levels.removeLast()
                    value = .array(arrays.removeLast())
                case .object:
                    objects[objects.count - 1].append((keys.removeLast(), value))
                    skip(bytes, &index)
                    guard index < bytes.count else { throw fail("unexpected end of input") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        expectKey = true
                        skip(bytes, &index)
                        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                        return nil
                    }
                    guard bytes[index] == UInt8(ascii: "}") else { throw fail("expected `,` or `}`") }
                    index += 1
                    levels.removeLast()
                    value = .object(objects.removeLast())
                }
            }
        }
    }

    private func skip(_ bytes: [UInt8], _ index: inout Int) {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
    }

    private func literal(_ word: StaticString, _ bytes: [UInt8], _ index: inout Int) throws(Failure) {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard index + expected.count <= bytes.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else {
            throw Failure(message: "invalid literal", offset: index)
        }
        index += expected.count
    }

    private func number(_ bytes: [UInt8], _ index: inout Int) throws(Failure) -> String {
        let start = index
        func digits() -> Int {
            let begin = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            return index - begin
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw Failure(message: "invalid number", offset: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw Failure(message: "unexpected character", offset: start)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw Failure(message: "invalid number", offset: start) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw Failure(message: "invalid number", offset: start) }
        }
        let end = index
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }

    private func string(_ bytes: [UInt8], _ index: inout Int) throws(Failure) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes, so the text is the bytes themselves.
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let end = index
                // Decoded from contiguous memory: ASCII needs no validation, the rest is validated (never repaired).
                let text: String? = bytes.withUnsafeBufferPointer { buffer in
                    let slice = UnsafeBufferPointer(rebasing: buffer[start..<end])
                    return ascii ? String(decoding: slice, as: UTF8.self) : String(validating: slice, as: UTF8.self)
                }
                guard let text else {
                    throw Failure(message: "invalid UTF-8 in a string", offset: start)
                }
                index += 1
                return text
            }
            if byte >= 0x80 { ascii = false }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw Failure(message: "control character in a string", offset: index) }
            index += 1
        }
        // Slow path: unescape into a byte buffer, decode once.
        var out = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw Failure(message: "unterminated string", offset: index) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw Failure(message: "invalid UTF-8 in a string", offset: start)
                }
                return text
            }
            if byte < 0x20 { throw Failure(message: "control character in a string", offset: index) }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw Failure(message: "unterminated string", offset: index) }
            let escape = bytes[index]
            index += 1
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
                var code = try hex4(bytes, &index)
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw Failure(message: "unpaired surrogate", offset: index)
                    }
                    index += 2
                    let low = try hex4(bytes, &index)
                    guard (0xDC00...0xDFFF).contains(low) else { throw Failure(message: "unpaired surrogate", offset: index) }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw Failure(message: "invalid \\u escape", offset: index) }
                out.append(contentsOf: String(Character(scalar)).utf8)
            default:
                throw Failure(message: "invalid escape", offset: index - 1)
            }
        }
    }

    private func hex4(_ bytes: [UInt8], _ index: inout Int) throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Failure(message: "invalid \\u escape", offset: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw Failure(message: "invalid \\u escape", offset: index)
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }
}
