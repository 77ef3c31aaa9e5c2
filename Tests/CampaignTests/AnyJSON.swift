import Foundation

/// Parsed JSON for comparisons in tests: booleans, numbers and strings stay distinct.
enum AnyJSON: Decodable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AnyJSON])
    case object([String: AnyJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AnyJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AnyJSON].self))
        }
    }

    static func parse(_ text: String) throws -> AnyJSON {
        try JSONDecoder().decode(AnyJSON.self, from: Data(text.utf8))
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let n): "\(n)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.map(\.description).joined(separator: ", "))]"
        case .object(let o): "{\(o.keys.sorted().map { "\($0): \(o[$0]!)" }.joined(separator: ", "))}"
        }
    }

    /// Every path where `self` and `other` differ, e.g. `content.platform_specific.ios.badge_count: 1 != "1"`.
    func differences(from other: AnyJSON, path: String = "$") -> [String] {
        switch (self, other) {
        case let (.object(a), .object(b)):
            return Set(a.keys).union(b.keys).sorted().flatMap { key -> [String] in
                switch (a[key], b[key]) {
                case let (x?, y?): return x.differences(from: y, path: path + "." + key)
                case (nil, _): return ["\(path).\(key): missing here"]
                case (_, nil): return ["\(path).\(key): unexpected"]
                }
            }
        case let (.array(a), .array(b)) where a.count == b.count:
            return zip(a, b).enumerated().flatMap { index, pair in pair.0.differences(from: pair.1, path: "\(path)[\(index)]") }
        default:
            return self == other ? [] : ["\(path): \(self) != \(other)"]
        }
    }
}
