/// Serializes ``JSONValue`` deterministically: object members in their stored order, strings escaped per RFC 8259
/// (plus U+2028/U+2029), non-ASCII text kept as UTF-8.
public struct JSONWriter: Sendable {
    /// Indentation per level; `nil` writes compact JSON on one line.
    public var indent: Int?

    /// A writer; pass `indent: nil` for compact output.
    public init(indent: Int? = 2) {
        self.indent = indent
    }

    /// The JSON text of `value`, without a trailing newline.
    public func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// The JSON text of `value` as UTF-8 bytes, without a trailing newline; `level` is the nesting level the value
    /// sits at (for pretty-printing a part of a larger document).
    public func bytes(_ value: JSONValue, level: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, level: level, into: &out)
        return out
    }

    /// Appends the JSON text of `value` to `out` (to reuse one buffer for many values).
    public func append(_ value: JSONValue, into out: inout [UInt8]) {
        write(value, level: 0, into: &out)
    }

    /// Appends the JSON text that `emit` produces to `out`, formatted as this writer formats trees; `level` is the
    /// nesting level the value sits at.
    public func append(level: Int = 0, into out: inout [UInt8], _ emit: (inout JSONTextEmitter) -> Void) {
        var emitter = JSONTextEmitter(indent: indent, level: level)
        swap(&emitter.bytes, &out)
        emit(&emitter)
        swap(&emitter.bytes, &out)
    }

    /// The start of `{"<key>": [items...]}`, for writing a large array in parts: the head, then the items with
    /// ``JSONTextEmitter/continuingArray(indent:itemLevel:hasItems:capacity:)`` at item level 2 (in any number of
    /// buffers, serialized in parallel if wanted), then ``objectWithArrayTail(isEmpty:)``. The parts joined are
    /// byte-identical to writing the whole document at once.
    public func objectWithArrayHead(key: String, isEmpty: Bool) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        newline(1, into: &out)
        JSONWriter.appendQuoted(key, into: &out)
        out.append(UInt8(ascii: ":"))
        if indent != nil { out.append(0x20) }
        out.append(contentsOf: isEmpty ? "[]".utf8 : "[".utf8)
        return out
    }

    /// The end of the document started by ``objectWithArrayHead(key:isEmpty:)``, without a trailing newline; `then`:
    /// the document's further members, after the array.
    public func objectWithArrayTail(isEmpty: Bool, then members: [(String, JSONValue)] = []) -> [UInt8] {
        var out: [UInt8] = []
        if !isEmpty {
            newline(1, into: &out)
            out.append(UInt8(ascii: "]"))
        }
        for (key, value) in members {
            out.append(UInt8(ascii: ","))
            newline(1, into: &out)
            JSONWriter.appendQuoted(key, into: &out)
            out.append(UInt8(ascii: ":"))
            if indent != nil { out.append(0x20) }
            write(value, level: 1, into: &out)
        }
        newline(0, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    private func newline(_ level: Int, into out: inout [UInt8]) {
        append(level: level, into: &out) { $0.newline(level) }
    }

    private func write(_ value: JSONValue, level: Int, into out: inout [UInt8]) {
        append(level: level, into: &out) { $0.value(value) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the decimal digits of `value` (no String is made for the common, non-negative case).
    public static func appendDecimal(_ value: Int, into out: inout [UInt8]) {
        if value < 0 {
            out.append(contentsOf: String(value).utf8)
            return
        }
        // Digits into a small buffer from the right.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            var rest = UInt(value)
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Whether any of the eight bytes in `word` is a control character, `"`, `\\` or not ASCII.
    @inline(__always)
    static func needsLook(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        // A byte below 0x20 (only for ASCII bytes; non-ASCII ones are caught by `word & high`).
        let control = (word &- ones &* 0x20) & ~word
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let hasQuote = (quote &- ones) & ~quote
        let hasBackslash = (backslash &- ones) & ~backslash
        return (control | hasQuote | hasBackslash | word) & high != 0
    }

    /// Appends `string` as a quoted JSON string: runs that need no escaping are copied whole.
    public static func appendQuoted(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            var index = 0
            let count = bytes.count
            while index < count {
                // Eight bytes at a time while none of them needs a look (plain ASCII, no quote, backslash or control).
                while index + 8 <= count, !JSONWriter.needsLook(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                }
                guard index < count else { break }
                let byte = bytes[index]
                // The common case: a byte that is copied as it is.
                if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte != 0xE2 {
                    index += 1
                    continue
                }
                var width = 1
                var hex = false
                let escape: StaticString
                switch byte {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x08: escape = "\\b"
                case 0x0C: escape = "\\f"
                case 0xE2 where index + 2 < count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    // U+2028 and U+2029 are valid JSON but break JavaScript; escape them.
                    escape = bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029"
                    width = 3
                case 0xE2:
                    index += 1
                    continue
                default:
                    escape = "\\u00"
                    hex = true
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                out.append(contentsOf: UnsafeBufferPointer(start: escape.utf8Start, count: escape.utf8CodeUnitCount))
                if hex {
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0xF)])
                }
                index += width
                runStart = index
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<count]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
