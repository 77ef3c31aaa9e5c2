import CampaignModel
import Diagnostics

/// Rules that span files: unique keys, unique names, and CleverTap's limit of 20 tag groups.
public enum ProjectRules {
    /// CleverTap keeps at most this many tag groups in an account.
    public static let maxTagGroups = 20

    /// Problems across `campaigns` (in any order; reported in file order), each naming both places.
    public static func check(_ campaigns: [Campaign]) -> [Diagnostic] {
        // Campaigns usually arrive in file order already; sort indices, and read fields in place: copying 10,000
        // campaigns would cost more than the checks.
        var order = Array(campaigns.indices)
        if !isSorted(campaigns) {
            order.sort { campaigns[$0].origin.document < campaigns[$1].origin.document }
        }
        var diagnostics: [Diagnostic] = []
        var keys: [String: SourceLocation] = [:]
        var names: [String: SourceLocation] = [:]
        keys.reserveCapacity(campaigns.count)
        names.reserveCapacity(campaigns.count)
        var groups: [(name: String, at: SourceLocation)] = []
        for index in order {
            if let duplicate = firstUse(of: campaigns[index].key, at: campaigns[index].origin.key, in: &keys, code: CampaignDiagnosticCode.duplicateKey,
                                        what: "campaign key", hint: "keys identify campaigns in state; give one of them another `key:` (or move the file)") {
                diagnostics.append(duplicate)
            }
            if let duplicate = firstUse(of: campaigns[index].name, at: campaigns[index].origin.name, in: &names, code: CampaignDiagnosticCode.duplicateName,
                                        what: "campaign name", hint: "names identify campaigns in the CleverTap dashboard; make them unique") {
                diagnostics.append(duplicate)
            }
            if let group = campaigns[index].options.tagGroup, !groups.contains(where: { $0.name == group }) {
                groups.append((group, campaigns[index].origin.tagGroup ?? campaigns[index].origin.document))
            }
        }
        if groups.count > maxTagGroups {
            let first = groups[maxTagGroups]
            diagnostics.append(.error(
                CampaignDiagnosticCode.tooManyTagGroups,
                "\(groups.count) distinct tag groups; CleverTap keeps at most \(maxTagGroups)", at: first.at,
                hint: "tag group \(Quoting.code(first.name)) is the \(maxTagGroups + 1)st; reuse existing groups",
                related: [RelatedLocation("the first tag group, \(Quoting.code(groups[0].name)), is here", at: groups[0].at),
                          RelatedLocation("the \(maxTagGroups)th, \(Quoting.code(groups[maxTagGroups - 1].name)), is here", at: groups[maxTagGroups - 1].at)]))
        }
        return diagnostics
    }

    /// True when `campaigns` are already in document order (the usual case: files are read in sorted order).
    private static func isSorted(_ campaigns: [Campaign]) -> Bool {
        var index = 1
        while index < campaigns.count {
            if campaigns[index].origin.document < campaigns[index - 1].origin.document { return false }
            index += 1
        }
        return true
    }

    /// Records the first use of `value`; for a later use, the diagnostic naming both places.
    private static func firstUse(
        of value: String, at location: SourceLocation, in seen: inout [String: SourceLocation], code: DiagnosticCode, what: String, hint: String
    ) -> Diagnostic? {
        guard let first = seen[value] else {
            seen[value] = location
            return nil
        }
        return .error(code, "\(what) \(Quoting.code(value)) is used twice", at: location, hint: hint,
                      related: [RelatedLocation("first used here", at: first)])
    }
}
