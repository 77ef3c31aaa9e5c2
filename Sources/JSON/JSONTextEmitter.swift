/// A ``JSONEmitter`` that writes JSON text into ``bytes``, formatted exactly as ``JSONWriter`` formats a tree:
/// compact on one line (`indent: nil`), or pretty-printed with `indent` spaces per level.
public struct JSONTextEmitter: JSONEmitter {
    /// The text written so far (UTF-8).
    public var bytes: [UInt8]
    /// Indentation per level; nil for compact text.
    public let indent: Int?
    /// The nesting level of the values written next.
    @usableFromInline var level: Int
    /// For each open container, one bit: set while it has no member or item yet. The innermost container is bit 0
    /// of ``emptyBits``; containers nested deeper than 64 levels keep their bits in ``deepEmptyBits``.
    @usableFromInline var emptyBits: UInt64 = 0
    @usableFromInline var deepEmptyBits: [UInt64] = []
    /// How many containers are open.
    @usableFromInline var depth = 0
    /// A key was just written: the next value follows it directly.
    @usableFromInline var afterKey = false

    /// An emitter appending to `bytes`; `level` is the nesting level the first value sits at (to pretty-print a part
    /// of a larger document).
    public init(indent: Int?, level: Int = 0, bytes: [UInt8] = []) {
        self.indent = indent
        self.level = level
        self.bytes = bytes
    }

    /// An emitter whose values become items of an array already open in the text (written up to its last item, or
    /// its `[`): items sit at `itemLevel`; `hasItems` says whether the array has items already (so a separator comes
    /// first). Used to write one large array in parts, each part on its own; the parts joined in order are the array.
    public static func continuingArray(indent: Int?, itemLevel: Int, hasItems: Bool, capacity: Int = 0) -> JSONTextEmitter {
        var emitter = JSONTextEmitter(indent: indent, level: itemLevel)
        emitter.bytes.reserveCapacity(capacity)
        emitter.push(empty: !hasItems)
        return emitter
    }

    /// Writes the separator and indentation that go before a value or key.
    @inlinable
    mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        guard depth > 0 else { return }
        if emptyBits & 1 != 0 {
            emptyBits &= ~1
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        newline(level)
    }

    @inlinable
    mutating func push(empty: Bool) {
        if depth >= 64, depth % 64 == 0 { deepEmptyBits.append(emptyBits) }
        emptyBits = emptyBits << 1 | (empty ? 1 : 0)
        depth += 1
    }

    /// Closes the innermost container; returns whether it stayed empty.
    @inlinable
    mutating func pop() -> Bool {
        let wasEmpty = emptyBits & 1 != 0
        emptyBits >>= 1
        depth -= 1
        if depth >= 64, depth % 64 == 0 { emptyBits = deepEmptyBits.removeLast() }
        return wasEmpty
    }

    /// A newline and the indentation of `level` (nothing when compact).
    @inlinable
    mutating func newline(_ level: Int) {
        guard let indent else { return }
        // A newline and up to 64 spaces in one copy, from a constant.
        let run: StaticString = "\n                                                                "
        var count = indent * level
        bytes.append(contentsOf: UnsafeBufferPointer(start: run.utf8Start, count: 1 + Swift.min(count, run.utf8CodeUnitCount - 1)))
        count -= run.utf8CodeUnitCount - 1
        while count > 0 {
            bytes.append(contentsOf: UnsafeBufferPointer(start: run.utf8Start + 1, count: Swift.min(count, run.utf8CodeUnitCount - 1)))
            count -= run.utf8CodeUnitCount - 1
        }
    }

    @inlinable
    mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        push(empty: true)
        level += 1
    }

    @inlinable
    mutating func close(_ bracket: UInt8) {
        level -= 1
        if !pop() { newline(level) }
        bytes.append(bracket)
    }

    @inlinable public mutating func beginObject() { open(UInt8(ascii: "{")) }
    @inlinable public mutating func endObject() { close(UInt8(ascii: "}")) }
    @inlinable public mutating func beginArray() { open(UInt8(ascii: "[")) }
    @inlinable public mutating func endArray() { close(UInt8(ascii: "]")) }

    @inlinable
    public mutating func key(_ key: String) {
        separate()
        JSONWriter.appendQuoted(key, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        if indent != nil { bytes.append(0x20) }
        afterKey = true
    }

    @inlinable
    public mutating func string(_ value: String) {
        separate()
        JSONWriter.appendQuoted(value, into: &bytes)
    }

    public mutating func number(_ text: String) {
        separate()
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func int(_ value: Int) {
        separate()
        JSONWriter.appendDecimal(value, into: &bytes)
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }
}
