import JSON

/// A ``JSONTextEmitter`` that hands its text to a sink whenever `threshold` bytes have gathered, and at ``finish()``:
/// a large document (a state file holding a million delivered members) is written without ever being whole in memory.
struct FlushingJSONEmitter: JSONEmitter {
    private var text: JSONTextEmitter
    private let threshold: Int
    private let sink: ([UInt8]) -> String?
    /// The sink's first failure; nothing is handed to it after one.
    private(set) var failure: String?

    /// `sink` writes the bytes it is given and returns why it could not, or nil.
    init(indent: Int?, threshold: Int = 1 << 20, sink: @escaping ([UInt8]) -> String?) {
        text = JSONTextEmitter(indent: indent)
        text.bytes.reserveCapacity(threshold + threshold / 4)
        self.threshold = threshold
        self.sink = sink
    }

    /// Appends raw bytes (a trailing newline) after the document.
    mutating func append(_ bytes: some Sequence<UInt8>) {
        text.bytes.append(contentsOf: bytes)
        flushIfFull()
    }

    /// Hands over what is left; the sink's first failure, or nil.
    mutating func finish() -> String? {
        flush()
        return failure
    }

    private mutating func flushIfFull() {
        if text.bytes.count >= threshold { flush() }
    }

    private mutating func flush() {
        if failure == nil, !text.bytes.isEmpty { failure = sink(text.bytes) }
        text.bytes.removeAll(keepingCapacity: true)
    }

    mutating func beginObject() { text.beginObject() }
    mutating func key(_ key: String) { text.key(key) }
    mutating func endObject() {
        text.endObject()
        flushIfFull()
    }
    mutating func beginArray() { text.beginArray() }
    mutating func endArray() {
        text.endArray()
        flushIfFull()
    }
    mutating func string(_ value: String) {
        text.string(value)
        flushIfFull()
    }
    mutating func number(_ text: String) { self.text.number(text) }
    mutating func int(_ value: Int) { text.int(value) }
    mutating func bool(_ value: Bool) { text.bool(value) }
    mutating func null() { text.null() }
}
