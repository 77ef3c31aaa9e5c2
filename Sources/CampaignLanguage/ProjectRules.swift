import CampaignModel
import Diagnostics

/// Rules that span files: unique keys, unique names, and CleverTap's limit of 20 tag groups.
public enum ProjectRules {
    /// CleverTap keeps at most this many tag groups in an account.
    public static let maxTagGroups = 20

    /// Problems across `campaigns` (in any order; reported in file order), each naming both places.
    public static func check(_ campaigns: [Campaign]) -> [Diagnostic] {
        // Campaigns usually arrive in file order already; sort indices, not the (large) campaigns.
        let order = campaigns.indices.sorted { campaigns[$0].origin.document < campaigns[$1].origin.document }
        let ordered = order.lazy.map { campaigns[$0] }
        var diagnostics: [Diagnostic] = []
        var keys: [String: SourceLocation] = [:]
        var names: [String: SourceLocation] = [:]
        var groups: [(name: String, at: SourceLocation)] = []
        for campaign in ordered {
            if let duplicate = firstUse(of: campaign.key, at: campaign.origin.key, in: &keys, code: CampaignDiagnosticCode.duplicateKey,
                                        what: "campaign key", hint: "keys identify campaigns in state; give one of them another `key:` (or move the file)") {
                diagnostics.append(duplicate)
            }
            if let duplicate = firstUse(of: campaign.name, at: campaign.origin.name, in: &names, code: CampaignDiagnosticCode.duplicateName,
                                        what: "campaign name", hint: "names identify campaigns in the CleverTap dashboard; make them unique") {
                diagnostics.append(duplicate)
            }
            if let group = campaign.options.tagGroup, !groups.contains(where: { $0.name == group }) {
                groups.append((group, campaign.origin.tagGroup ?? campaign.origin.document))
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
