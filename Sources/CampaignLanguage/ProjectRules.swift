import CampaignModel
import Diagnostics

/// Rules that span files: unique keys, unique names, and CleverTap's limit of 20 tag groups.
public enum ProjectRules {
    /// CleverTap keeps at most this many tag groups in an account.
    public static let maxTagGroups = 20

    /// Problems across `campaigns` (in any order; reported in file order), each naming both places. Pass
    /// `inFileOrder: true` when the campaigns are known to be in file order (as the loader gives them).
    public static func check(_ campaigns: [Campaign], inFileOrder: Bool = false) -> [Diagnostic] {
        // Campaigns usually arrive in file order already; sort indices, and read fields in place: copying 10,000
        // campaigns would cost more than the checks.
        var order = Array(campaigns.indices)
        if !inFileOrder, !isSorted(campaigns) {
            order.sort { campaigns[$0].origin.document < campaigns[$1].origin.document }
        }
        var diagnostics: [Diagnostic] = []
        // Values are indices into `campaigns`: small entries, and no location copied until one is reported.
        var keys: [String: Int] = [:]
        var names: [String: Int] = [:]
        keys.reserveCapacity(campaigns.count)
        names.reserveCapacity(campaigns.count)
        var groups: [(name: String, at: SourceLocation)] = []
        var groupNames = Set<String>()
        for index in order {
            let campaign = campaigns[index]
            if let first = firstUse(of: campaign.key, index, in: &keys) {
                diagnostics.append(duplicate(
                    CampaignDiagnosticCode.duplicateKey, what: "campaign key", value: campaign.key, at: campaign.origin.key,
                    first: campaigns[first].origin.key, hint: "keys identify campaigns in state; give one of them another `key:` (or move the file)"))
            }
            if let first = firstUse(of: campaign.name, index, in: &names) {
                diagnostics.append(duplicate(
                    CampaignDiagnosticCode.duplicateName, what: "campaign name", value: campaign.name, at: campaign.origin.name,
                    first: campaigns[first].origin.name, hint: "names identify campaigns in the CleverTap dashboard; make them unique"))
            }
            if let group = campaign.options.tagGroup, groupNames.insert(group).inserted {
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

    /// True when `campaigns` are already in document order (the usual case: files are read in sorted order).
    private static func isSorted(_ campaigns: [Campaign]) -> Bool {
        var index = 1
        while index < campaigns.count {
            if campaigns[index].origin.document < campaigns[index - 1].origin.document { return false }
            index += 1
        }
        return true
    }

    /// One resource's key and where it was written (or derived), of any provider.
    public struct KeyUse: Sendable {
        public var key: String
        public var at: SourceLocation

        public init(_ key: String, at: SourceLocation) {
            self.key = key
            self.at = at
        }
    }

    /// Keys used in more than one of `projects` (each a project's resources, of every provider): everything planned
    /// in one run shares one state, where a key names one resource. An error at each later use, naming the first.
    public static func checkKeysAcrossProjects(_ projects: [[KeyUse]]) -> [Diagnostic] {
        guard projects.count > 1 else { return [] }
        var owners: [String: (project: Int, at: SourceLocation)] = [:]
        var diagnostics: [Diagnostic] = []
        for (index, uses) in projects.enumerated() {
            for use in uses {
                if let first = owners[use.key] {
                    if first.project != index {
                        diagnostics.append(duplicate(
                            CampaignDiagnosticCode.duplicateKey, what: "key", value: use.key, at: use.at, first: first.at,
                            hint: "the projects of one run share a state, where a key names one resource; give one of them another `key:`"))
                    }
                } else {
                    owners[use.key] = (index, use.at)
                }
            }
        }
        return diagnostics
    }

    /// Records `index` as the first use of `value` and returns nil, or returns the earlier use.
    private static func firstUse(of value: String, _ index: Int, in seen: inout [String: Int]) -> Int? {
        if let first = seen[value] { return first }
        seen[value] = index
        return nil
    }

    /// The error for a second use of `value`, naming both places.
    private static func duplicate(
        _ code: DiagnosticCode, what: String, value: String, at location: SourceLocation, first: SourceLocation, hint: String
    ) -> Diagnostic {
        .error(code, "\(what) \(Quoting.code(value)) is used twice", at: location, hint: hint,
               related: [RelatedLocation("first used here", at: first)])
    }

    /// Problems of `resources` (CleverPush's, in file order): keys and names used twice among them, and keys a
    /// CleverTap campaign of the project uses (one state names one resource per key).
    public static func checkCleverPush(_ resources: [CleverPushResource], campaigns: [Campaign]) -> [Diagnostic] {
        checkProviderResources(
            resources.map { ($0.key, $0.keyLocation, $0.name, $0.document) }, provider: "CleverPush",
            taken: campaigns.map { ($0.key, $0.origin.key) })
    }

    /// Problems of `resources` (PersonaClick's, in file order): keys and names used twice among them, and keys a
    /// CleverTap campaign or a CleverPush resource of the project uses.
    public static func checkPersonaClick(_ resources: [PersonaClickResource], campaigns: [Campaign], cleverPush: [CleverPushResource]) -> [Diagnostic] {
        checkProviderResources(
            resources.map { ($0.key, $0.keyLocation, $0.name, $0.document) }, provider: "PersonaClick",
            taken: campaigns.map { ($0.key, $0.origin.key) } + cleverPush.map { ($0.key, $0.keyLocation) })
    }

    /// One provider's resources: a key used twice, or already `taken` by another provider's resource, and a name used
    /// twice among them; checked in file order.
    private static func checkProviderResources(
        _ resources: [(key: String, keyLocation: SourceLocation, name: String, document: SourceLocation)], provider: String,
        taken: [(key: String, location: SourceLocation)]
    ) -> [Diagnostic] {
        guard !resources.isEmpty else { return [] }
        var diagnostics: [Diagnostic] = []
        var keys: [String: SourceLocation] = [:]
        var names: [String: SourceLocation] = [:]
        for (key, location) in taken { keys[key] = location }
        for resource in resources.sorted(by: { $0.document < $1.document }) {
            if let first = keys[resource.key] {
                diagnostics.append(duplicate(CampaignDiagnosticCode.duplicateKey, what: "key", value: resource.key, at: resource.keyLocation, first: first,
                                             hint: "keys identify resources in state; give one of them another `key:`"))
            } else {
                keys[resource.key] = resource.keyLocation
            }
            if let first = names[resource.name] {
                diagnostics.append(duplicate(CampaignDiagnosticCode.duplicateName, what: "\(provider) resource name", value: resource.name, at: resource.document, first: first,
                                             hint: "names identify resources in plans; make them unique"))
            } else {
                names[resource.name] = resource.document
            }
        }
        return diagnostics
    }
}
