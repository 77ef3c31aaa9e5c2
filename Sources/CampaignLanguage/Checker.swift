import Diagnostics
import YAMLFrontEnd

/// The fields of a mapping by name, in written order, with each key's node (for positions).
struct Fields {
    var entries: [(name: String, key: YAMLNode, value: YAMLNode)]
    /// The mapping node itself.
    var node: YAMLNode

    subscript(name: String) -> YAMLNode? {
        entries.first { $0.name == name }?.value
    }

    func keyNode(_ name: String) -> YAMLNode? {
        entries.first { $0.name == name }?.key
    }

    func has(_ name: String) -> Bool { entries.contains { $0.name == name } }
}

/// Reads YAML nodes against the campaign schema, collecting every problem instead of stopping at the first.
struct Checker {
    private(set) var diagnostics: [Diagnostic] = []

    var hasErrors: Bool { diagnostics.containsErrors }

    mutating func error(_ code: DiagnosticCode, _ message: String, at node: YAMLNode, hint: String? = nil, related: [RelatedLocation] = []) {
        diagnostics.append(.error(code, message, at: node.location, hint: hint, related: related))
    }

    mutating func error(_ code: DiagnosticCode, _ message: String, at location: SourceLocation, hint: String? = nil, related: [RelatedLocation] = []) {
        diagnostics.append(.error(code, message, at: location, hint: hint, related: related))
    }

    mutating func warning(_ code: DiagnosticCode, _ message: String, at location: SourceLocation, hint: String? = nil, related: [RelatedLocation] = []) {
        diagnostics.append(.warning(code, message, at: location, hint: hint, related: related))
    }

    mutating func append(_ more: [Diagnostic]) { diagnostics += more }

    /// How a node's kind reads in "must be X, not Y".
    static func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let scalar):
            if scalar.isNull { return "empty" }
            return "\(Quoting.code(scalar.value, limit: 40))"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// A mapping's fields, reporting non-string keys and keys outside `allowed` (with a suggestion).
    /// `extraHints` gives a fixed hint for known mistakes (for example `title` in an email).
    mutating func fields(
        _ node: YAMLNode, what: @autoclosure () -> String, allowed: [String]?,
        extraHints: @autoclosure () -> [String: String] = [:]
    ) -> Fields? {
        guard let pairs = node.mapping else {
            error(CampaignDiagnosticCode.wrongType, "\(what()) must be a mapping, not \(Self.describe(node))", at: node)
            return nil
        }
        var fields = Fields(entries: [], node: node)
        fields.entries.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let name = pair.key.scalar?.value, !pair.key.isNull else {
                error(CampaignDiagnosticCode.wrongType, "keys of \(what()) must be strings, not \(Self.describe(pair.key))", at: pair.key)
                continue
            }
            if let allowed, !allowed.contains(name) {
                var hint = extraHints()[name]
                if hint == nil, let suggestion = Suggestions.closest(to: name, in: allowed) {
                    hint = "did you mean `\(suggestion)`?"
                }
                if hint == nil {
                    hint = "allowed here: " + allowed.map { "`\($0)`" }.joined(separator: ", ")
                }
                error(CampaignDiagnosticCode.unknownKey, "unknown key \(Quoting.code(name)) in \(what())", at: pair.key, hint: hint)
                continue
            }
            fields.entries.append((name, pair.key, pair.value))
        }
        return fields
    }

    /// A string field: any non-null scalar is read as written (the schema says string, so `NO` is "NO").
    mutating func string(_ node: YAMLNode, field: @autoclosure () -> String, allowEmpty: Bool = false) -> String? {
        guard let scalar = node.scalar, !scalar.isNull else {
            if node.isNull {
                error(CampaignDiagnosticCode.emptyValue, "`\(field())` has no value", at: node, hint: "write a value after `\(field()):`")
            } else {
                error(CampaignDiagnosticCode.wrongType, "`\(field())` must be a string, not \(Self.describe(node))", at: node)
            }
            return nil
        }
        if !allowEmpty, Self.isBlank(scalar.value) {
            error(CampaignDiagnosticCode.emptyValue, "`\(field())` must not be empty", at: node)
            return nil
        }
        return scalar.value
    }

    /// True for an empty or all-white-space string; checks the first byte before any Unicode work.
    static func isBlank(_ text: String) -> Bool {
        guard let first = text.utf8.first else { return true }
        if first > 0x20, first < 0x80 { return false }
        return text.allSatisfy(\.isWhitespace)
    }

    /// A boolean field: exactly `true` or `false` (YAML 1.2); `yes`, `on` and quoted values are refused.
    mutating func bool(_ node: YAMLNode, field: @autoclosure () -> String) -> Bool? {
        if let scalar = node.scalar, case .bool(let value) = CoreSchema.type(scalar) { return value }
        var hint = "write `true` or `false`"
        if let text = node.scalar?.value, ["yes", "no", "on", "off", "y", "n"].contains(text.lowercased()) {
            hint = "YAML 1.2 booleans are `true` and `false`; `\(Quoting.sanitize(text, limit: 10))` is a string here"
        } else if let scalar = node.scalar, scalar.style != .plain, CoreSchema.bool(scalar.value) != nil {
            hint = "remove the quotes: a quoted value is a string"
        }
        error(CampaignDiagnosticCode.wrongType, "`\(field())` must be a boolean, not \(Self.describe(node))", at: node, hint: hint)
        return nil
    }

    /// A non-negative integer field of at most `maximum`, in canonical decimal form.
    mutating func count(_ node: YAMLNode, field: @autoclosure () -> String, maximum: Int) -> String? {
        if let scalar = node.scalar, case .number(let digits) = CoreSchema.type(scalar), CoreSchema.integer(scalar.value) != nil {
            if digits.hasPrefix("-") {
                error(CampaignDiagnosticCode.invalidValue, "`\(field())` must be 0 or more, not \(Quoting.sanitize(digits, limit: 30))", at: node)
                return nil
            }
            guard let value = Int(digits), value <= maximum else {
                error(CampaignDiagnosticCode.invalidValue, "`\(field())` must be at most \(maximum), not \(Quoting.sanitize(digits, limit: 30))", at: node)
                return nil
            }
            return digits
        }
        error(CampaignDiagnosticCode.wrongType, "`\(field())` must be a whole number, not \(Self.describe(node))", at: node)
        return nil
    }

    /// A list field.
    mutating func list(_ node: YAMLNode, field: @autoclosure () -> String, of what: String) -> YAMLSequence? {
        guard let items = node.sequence else {
            error(CampaignDiagnosticCode.wrongType, "`\(field())` must be a list of \(what), not \(Self.describe(node))", at: node,
                  hint: node.scalar.map { _ in "write a list, e.g. `\(field()): [\(Quoting.sanitize(node.scalar?.value ?? "", limit: 20))]`" })
            return nil
        }
        return items
    }

    /// One of a fixed set of words.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, field: @autoclosure () -> String, as type: T.Type) -> T? where T.RawValue == String {
        guard let text = string(node, field: field()) else { return nil }
        if let value = T(rawValue: text) { return value }
        let names = T.allCases.map(\.rawValue)
        let suggestion = Suggestions.closest(to: text, in: names).map { "did you mean `\($0)`? " } ?? ""
        error(CampaignDiagnosticCode.invalidValue, "`\(field())` must be one of \(names.map { "`\($0)`" }.joined(separator: ", ")), not \(Quoting.code(text))", at: node,
              hint: suggestion.isEmpty ? nil : String(suggestion.dropLast()))
        return nil
    }
}
