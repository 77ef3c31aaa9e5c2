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
            if let first = keys[campaign.key] {
                diagnostics.append(.error(
                    CampaignDiagnosticCode.duplicateKey, "campaign key \(Quoting.code(campaign.key)) is used twice", at: campaign.origin.key,
                    hint: "keys identify campaigns in state; give one of them another `key:` (or move the file)",
                    related: [RelatedLocation("first used here", at: first)]))
            } else {
                keys[campaign.key] = campaign.origin.key
            }
            if let first = names[campaign.name] {
                diagnostics.append(.error(
                    CampaignDiagnosticCode.duplicateName, "campaign name \(Quoting.code(campaign.name)) is used twice", at: campaign.origin.name,
                    hint: "names identify campaigns in the CleverTap dashboard; make them unique",
                    related: [RelatedLocation("first used here", at: first)]))
            } else {
                names[campaign.name] = campaign.origin.name
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
}
