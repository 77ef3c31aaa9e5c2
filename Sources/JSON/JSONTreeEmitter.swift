/// A ``JSONEmitter`` that builds a ``JSONValue`` tree.
public struct JSONTreeEmitter: JSONEmitter {
    private enum Container {
        case array([JSONValue])
        case object([(String, JSONValue)], key: String?)
    }

    private var open: [Container] = []
    private var finished: JSONValue?

    public init() {}

    /// The document built, once its outermost value is complete.
    public var value: JSONValue? { finished }

    private mutating func add(_ value: JSONValue) {
        guard let last = open.indices.last else {
            finished = value
            return
        }
        switch open[last] {
        case .array(var items):
            open[last] = .array([])
            items.append(value)
            open[last] = .array(items)
        case .object(var members, let key):
            open[last] = .object([], key: nil)
            members.append((key ?? "", value))
            open[last] = .object(members, key: nil)
        }
    }

    public mutating func beginObject() { open.append(.object([], key: nil)) }
    public mutating func beginArray() { open.append(.array([])) }

    public mutating func endObject() {
        guard case .object(let members, _) = open.popLast() else { return }
        add(.object(members))
    }

    public mutating func endArray() {
        guard case .array(let items) = open.popLast() else { return }
        add(.array(items))
    }

    public mutating func key(_ key: String) {
        guard let last = open.indices.last, case .object(let members, _) = open[last] else { return }
        open[last] = .object([], key: nil)
        open[last] = .object(members, key: key)
    }

    public mutating func string(_ value: String) { add(.string(value)) }
    public mutating func number(_ text: String) { add(.number(text)) }
    public mutating func int(_ value: Int) { add(.int(value)) }
    public mutating func bool(_ value: Bool) { add(.bool(value)) }
    public mutating func null() { add(.null) }
}
