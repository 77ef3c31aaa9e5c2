/// Serializes ``JSONValue`` deterministically: object members in their stored order, strings escaped per RFC 8259.
public struct JSONWriter: Sendable {
    /// Indentation per level; `nil` writes compact JSON on one line.
    public var indent: Int?

    /// A writer; pass `indent: nil` for compact output.
    public init(indent: Int? = 2) {
        self.indent = indent
    }

    /// The JSON text of `value`, without a trailing newline.
    public func string(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(value, level: 0, into: &out)
        return out
    }

    private func newline(_ level: Int, into out: inout String) {
        guard let indent else { return }
        out.append("\n")
        out.append(String(repeating: " ", count: indent * level))
    }

    private func write(_ value: JSONValue, level: Int, into out: inout String) {
        switch value {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .number(let n): out.append(n)
        case .string(let s): JSONWriter.appendQuoted(s, into: &out)
        case .array(let items):
            if items.isEmpty {
                out.append("[]")
                return
            }
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                newline(level + 1, into: &out)
                write(item, level: level + 1, into: &out)
            }
            newline(level, into: &out)
            out.append("]")
        case .object(let members):
            if members.isEmpty {
                out.append("{}")
                return
            }
            out.append("{")
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { out.append(",") }
                newline(level + 1, into: &out)
                JSONWriter.appendQuoted(key, into: &out)
                out.append(indent == nil ? ":" : ": ")
                write(member, level: level + 1, into: &out)
            }
            newline(level, into: &out)
            out.append("}")
        }
    }

    /// Appends `string` as a quoted JSON string.
    public static func appendQuoted(_ string: String, into out: inout String) {
        out.append("\"")
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u")
                    out.append(String(repeating: "0", count: 4 - hex.count))
                    out.append(hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
