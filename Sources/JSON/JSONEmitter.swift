/// Receives a JSON document as a stream of events, so that a producer (a compiler, for example) can write text
/// directly, hash it, or build a ``JSONValue`` tree with the same code.
///
/// Members of an object are a ``key(_:)`` followed by exactly one value (a scalar, or a container from its begin to
/// its end). Producers are expected to emit well-formed documents; emitters do not check.
public protocol JSONEmitter {
    /// Starts an object.
    mutating func beginObject()
    /// The key of the next member of the open object.
    mutating func key(_ key: String)
    /// Ends the open object.
    mutating func endObject()
    /// Starts an array.
    mutating func beginArray()
    /// Ends the open array.
    mutating func endArray()
    /// A string value.
    mutating func string(_ value: String)
    /// A number value, as its JSON text (for example `42` or `-1.5e3`).
    mutating func number(_ text: String)
    /// An integer value.
    mutating func int(_ value: Int)
    /// A boolean value.
    mutating func bool(_ value: Bool)
    /// `null`.
    mutating func null()
}

extension JSONEmitter {
    /// A member whose value is a string.
    public mutating func member(_ key: String, _ value: String) {
        self.key(key)
        string(value)
    }

    /// A member whose value is an integer.
    public mutating func member(_ key: String, _ value: Int) {
        self.key(key)
        int(value)
    }

    /// A member whose value is a boolean.
    public mutating func member(_ key: String, _ value: Bool) {
        self.key(key)
        bool(value)
    }

    /// A value given as a tree.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let n): number(n)
        case .string(let s): string(s)
        case .array(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .object(let members):
            beginObject()
            for (name, member) in members {
                key(name)
                self.value(member)
            }
            endObject()
        }
    }
}
