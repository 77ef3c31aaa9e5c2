import JSON
import YAMLFrontEnd

/// YAML 1.2 core-schema typing of untagged plain scalars, applied only where the campaign schema asks for it
/// (free-form values such as profile properties). Quoted and block scalars are always strings.
public enum CoreSchema {
    /// The core-schema reading of a scalar.
    public enum Typed: Equatable, Sendable {
        case null
        case bool(Bool)
        /// A number in canonical JSON syntax.
        case number(String)
        /// `.inf`, `-.inf` or `.nan`: numbers JSON cannot carry.
        case nonFinite(String)
        case string(String)
    }

    /// Types `scalar` by the core schema (tags `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` are honoured).
    public static func type(_ scalar: YAMLScalar) -> Typed {
        let value = scalar.value
        switch scalar.tag {
        case "tag:yaml.org,2002:str": return .string(value)
        case "tag:yaml.org,2002:null": return .null
        case "tag:yaml.org,2002:bool": return bool(value).map(Typed.bool) ?? .string(value)
        case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float": return number(value) ?? .string(value)
        case nil: break
        default: return .string(value)
        }
        guard scalar.style == .plain else { return .string(value) }
        if scalar.isNull { return .null }
        if let b = bool(value) { return .bool(b) }
        return number(value) ?? .string(value)
    }

    /// `true`/`True`/`TRUE` and `false`/`False`/`FALSE`.
    public static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// A core-schema integer or float in canonical JSON form, or nil.
    static func number(_ text: String) -> Typed? {
        if let int = integer(text) { return .number(int) }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            return .nonFinite(text)
        default: break
        }
        return float(text).map(Typed.number)
    }

    /// The decimal digits of a core-schema integer (`[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`), or nil.
    public static func integer(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "o") || bytes[1] == UInt8(ascii: "x") {
            let radix = bytes[1] == UInt8(ascii: "o") ? 8 : 16
            guard let value = UInt64(String(text.dropFirst(2)), radix: radix) else { return nil }
            return String(value)
        }
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count, bytes[index...].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        // Canonical: no leading zeros, no plus sign, no negative zero.
        var digits = bytes[index...].drop(while: { $0 == UInt8(ascii: "0") })
        if digits.isEmpty { digits = [UInt8(ascii: "0")][...] }
        let body = String(decoding: digits, as: UTF8.self)
        return negative && body != "0" ? "-" + body : body
    }

    /// A core-schema float (`[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`) as valid JSON, or nil.
    static func float(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var index = 0
        var out = ""
        func digits() -> String {
            var run = ""
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                run.unicodeScalars.append(Unicode.Scalar(bytes[index]))
                index += 1
            }
            return run
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            if bytes[index] == UInt8(ascii: "-") { out += "-" }
            index += 1
        }
        var whole = digits()
        var fraction: String?
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fraction = digits()
        }
        guard !whole.isEmpty || !(fraction ?? "").isEmpty else { return nil }
        var exponent = ""
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            exponent = "e"
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                if bytes[index] == UInt8(ascii: "-") { exponent += "-" }
                index += 1
            }
            let power = digits()
            guard !power.isEmpty else { return nil }
            exponent += power
        }
        guard index == bytes.count else { return nil }
        // JSON wants an integer part without leading zeros and digits after a point.
        whole = String(whole.drop(while: { $0 == "0" }))
        if whole.isEmpty { whole = "0" }
        out += whole
        if let fraction, !fraction.isEmpty { out += "." + fraction }
        out += exponent
        return out
    }

    /// Why a number in canonical JSON form (as ``type(_:)`` gives it) cannot be sent, or nil when it can: an integer
    /// beyond the 64-bit range, or a decimal beyond a double's (`1e400`). Readers of the request would turn either
    /// into something else (a rounded or infinite value, or an error).
    public static func rangeProblem(_ number: String) -> String? {
        if integer(number) != nil {
            return Int64(number) == nil ? "is beyond the 64-bit integer range (-9223372036854775808 to 9223372036854775807)" : nil
        }
        guard let value = Double(number), value.isFinite else { return "is too large for a double-precision number" }
        return nil
    }

    /// True for a plain integer written with a leading zero (`0123`): the core schema reads it as 123.
    public static func hasLeadingZero(_ scalar: YAMLScalar) -> Bool {
        guard scalar.style == .plain, scalar.tag == nil, integer(scalar.value) != nil else { return false }
        let unsigned = scalar.value.hasPrefix("-") || scalar.value.hasPrefix("+") ? scalar.value.dropFirst() : Substring(scalar.value)
        return unsigned.count > 1 && unsigned.hasPrefix("0") && !unsigned.hasPrefix("0x") && !unsigned.hasPrefix("0o")
    }

    /// A whole YAML node as JSON, scalars typed by the core schema (non-finite numbers become strings).
    /// Iterative over the tree's depth is unnecessary: the front end bounds nesting.
    public static func json(_ node: YAMLNode) -> JSONValue {
        switch node.content {
        case .scalar(let scalar):
            switch type(scalar) {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .number(let n): return .number(n)
            case .nonFinite(let text), .string(let text): return .string(text)
            }
        case .sequence(let items):
            return .array(items.map(json))
        case .mapping(let pairs):
            return .object(pairs.map { pair in
                (pair.key.scalar?.value ?? JSONWriter(indent: nil).string(json(pair.key)), json(pair.value))
            })
        }
    }
}
