/// A ``JSONEmitter`` that builds a ``JSONValue`` tree.
public struct JSONTreeEmitter: JSONEmitter {
    /// Open containers, innermost last: true for an object. Their contents are kept in separate stacks so that
    /// appending mutates in place (no copy of a growing array per element).
    private var levels: [Bool] = []
    private var arrays: [[JSONValue]] = []
    private var objects: [[(String, JSONValue)]] = []
    private var keys: [String] = []
    private var finished: JSONValue?

    public init() {}

    /// The document built, once its outermost value is complete.
    public var value: JSONValue? { finished }

    private mutating func add(_ value: JSONValue) {
        guard let isObject = levels.last else {
            finished = value
            return
        }
        if isObject {
            objects[objects.count - 1].append((keys.popLast() ?? "", value))
        } else {
            arrays[arrays.count - 1].append(value)
        }
    }

    public mutating func beginObject() {
        levels.append(true)
        objects.append([])
    }

    public mutating func beginArray() {
        levels.append(false)
        arrays.append([])
    }

    public mutating func endObject() {
        guard levels.popLast() == true else { return }
        add(.object(objects.removeLast()))
    }

    public mutating func endArray() {
        guard levels.popLast() == false else { return }
        add(.array(arrays.removeLast()))
    }

    public mutating func key(_ key: String) { keys.append(key) }
    public mutating func string(_ value: String) { add(.string(value)) }
    public mutating func number(_ text: String) { add(.number(text)) }
    public mutating func int(_ value: Int) { add(.int(value)) }
    public mutating func bool(_ value: Bool) { add(.bool(value)) }
    public mutating func null() { add(.null) }
}
