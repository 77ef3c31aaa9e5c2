import CampaignModel
import Diagnostics
import YAMLFrontEnd

/// The devices of a mobile push, for `devices:` (web push targets `web` on its own).
enum MobileDevice: String, CaseIterable {
    case android
    case ios
    case windows

    var device: Device {
        switch self {
        case .android: .android
        case .ios: .ios
        case .windows: .windows
        }
    }
}

extension DocumentDecoder {
    /// `profile`: `Property: value` (equal to the value) or `Property: {operator: …, value: …}` with an operator
    /// of the query language that fits the value's type.
    mutating func profile(_ node: YAMLNode) -> [ProfileField]? {
        guard let fields = checker.fields(node, what: "`profile`", allowed: nil) else { return nil }
        if fields.entries.isEmpty {
            checker.error(CampaignDiagnosticCode.emptyValue, "`profile` has no properties", at: node,
                          hint: "add `Property Name: value` lines, or remove `profile`")
            return nil
        }
        var result: [ProfileField] = []
        var failed = false
        for entry in fields.entries {
            if entry.name.isEmpty {
                checker.error(CampaignDiagnosticCode.emptyValue, "a profile property needs a name", at: entry.key)
                failed = true
                continue
            }
            if entry.value.mapping != nil {
                if let condition = condition(entry.value, property: entry.name) {
                    result.append(ProfileField(key: entry.name, condition: condition))
                } else {
                    failed = true
                }
                continue
            }
            if entry.value.sequence != nil {
                checker.error(CampaignDiagnosticCode.wrongType, "`profile.\(entry.name)` must be a string, number or boolean, not a list", at: entry.value,
                              hint: "to match any of several values write `\(entry.name): {operator: equals, value: [\u{2026}]}`")
                failed = true
                continue
            }
            guard let value = scalarValue(entry.value, field: "profile.\(entry.name)") else {
                failed = true
                continue
            }
            result.append(ProfileField(key: entry.name, value: value))
        }
        return failed ? nil : result
    }

    /// `{operator: greater_than, value: 10}`; `value` is a scalar or a list of scalars of one type (any matches),
    /// and absent for `exists` / `does_not_exist`.
    private mutating func condition(_ node: YAMLNode, property: String) -> ProfileCondition? {
        let field = "profile.\(property)"
        guard let parts = checker.fields(node, what: "`\(field)`", allowed: CampaignFields.condition,
                                         extraHints: Dictionary(uniqueKeysWithValues: ProfileOperator.allCases.map {
                                             ($0.rawValue, "write `{operator: \($0.rawValue), value: …}`")
                                         }))
        else { return nil }
        guard let operatorNode = parts["operator"] else {
            checker.error(CampaignDiagnosticCode.missingField, "`\(field)` has no `operator`", at: node,
                          hint: "e.g. `{operator: greater_than, value: 10}`; or write `\(property): value` to match a value exactly")
            return nil
        }
        guard let name = checker.string(operatorNode, field: "\(field).operator") else { return nil }
        guard let op = ProfileOperator(rawValue: name) else {
            let all = ProfileOperator.allCases.map(\.rawValue)
            // `not_contains` is what third-party clients send; the query language says `does_not_contain`.
            let closest = name == "not_contains" ? ProfileOperator.doesNotContain.rawValue : Suggestions.closest(to: name, in: all)
            let suggestion = closest.map { "did you mean `\($0)`? " } ?? ""
            checker.error(CampaignDiagnosticCode.operatorNotForType, "unknown operator \(Quoting.code(name)) in `\(field)`", at: operatorNode,
                          hint: suggestion + "operators: " + all.map { "`\($0)`" }.joined(separator: ", ") + " (no date operators, no `between`)")
            return nil
        }
        guard let valueNode = parts["value"] else {
            if op.takesNoValue { return .compare(op, .none) }
            checker.error(CampaignDiagnosticCode.missingField, "`\(field)` has no `value`", at: node,
                          hint: "`\(op.rawValue)` compares the property with a `value`")
            return nil
        }
        if op.takesNoValue {
            checker.error(CampaignDiagnosticCode.invalidValue, "`\(op.rawValue)` takes no `value`", at: valueNode,
                          hint: "remove `value`: `{operator: \(op.rawValue)}` asks whether the profile has the property at all")
            return nil
        }
        var values: [(ScalarValue, YAMLNode)] = []
        let isList = valueNode.sequence != nil
        if let items = valueNode.sequence {
            if items.isEmpty {
                checker.error(CampaignDiagnosticCode.emptyValue, "`\(field).value` is an empty list", at: valueNode, hint: "list at least one value (any of them matches)")
                return nil
            }
            for item in items {
                guard let value = scalarValue(item, field: "\(field).value") else { return nil }
                values.append((value, item))
            }
        } else {
            guard let value = scalarValue(valueNode, field: "\(field).value") else { return nil }
            values.append((value, valueNode))
        }
        // The value's type decides the operators; a list holds one type.
        let kind = Self.valueKind(values[0].0)
        if let other = values.first(where: { Self.valueKind($0.0) != kind }) {
            checker.error(CampaignDiagnosticCode.invalidValue, "the values of `\(field)` mix \(kind.name)s and \(Self.valueKind(other.0).name)s", at: other.1,
                          hint: "quote numbers and booleans to compare them as strings")
            return nil
        }
        guard kind.operators.contains(op) else {
            checker.error(CampaignDiagnosticCode.operatorNotForType, "`\(op.rawValue)` does not apply to \(kind.name) \(Quoting.code(values[0].1.scalar?.value ?? "", limit: 30))", at: operatorNode,
                          hint: "for \(kind.name)s use " + kind.operators.map { "`\($0.rawValue)`" }.joined(separator: ", ")
                              + (kind == .string ? "; a number in quotes is a string — remove the quotes to compare numbers" : ""))
            return nil
        }
        return .compare(op, isList ? .any(values.map(\.0)) : .one(values[0].0))
    }

    /// The value types of the query language.
    enum ValueKind {
        case string, number, boolean

        var name: String {
            switch self {
            case .string: "string"
            case .number: "number"
            case .boolean: "boolean"
            }
        }

        var operators: [ProfileOperator] {
            switch self {
            case .string: ProfileOperator.forStrings
            case .number: ProfileOperator.forNumbers
            case .boolean: ProfileOperator.forBooleans
            }
        }
    }

    static func valueKind(_ value: ScalarValue) -> ValueKind {
        switch value {
        case .string, .object: .string
        case .number: .number
        case .bool: .boolean
        }
    }
}
