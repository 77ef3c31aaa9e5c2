import CampaignEngine

/// PersonaClick's kinds: subscription preferences (contacts' flags kept in step, changed contacts only; consent
/// withdrawn at the source is held back) and suppressions (callbacks made once per email and event; `hard_bounced`
/// ones are irreversible and never repeated blindly).
public struct PersonaClickRules: ProviderRules {
    /// The provider's name and its kinds, as resources and state records give them.
    public static let name = "personaclick"
    public static let preferences = "subscription_preferences"
    public static let suppressions = "suppressions"
    /// How many members of each change a plan names.
    public static let shownMembers = 5

    public init() {}

    public var name: String { Self.name }

    public func rules(for kind: String) -> KindRules? {
        switch kind {
        case Self.preferences:
            var rules = KindRules(change: .inPlace, syncing: .update, addWord: "manage", removeWord: "release", retriesUnknownDelivery: true)
            rules.shownMembers = Self.shownMembers
            // A contact's member is `email:ana@example.com #<flags>`: a changed row is the contact changed.
            rules.memberVersionSeparator = PersonaClickMember.separator
            return rules
        case Self.suppressions:
            var rules = KindRules(change: .inPlace, syncing: .update, addWord: "callback", removeWord: "forget", retriesUnknownDelivery: true)
            rules.shownMembers = Self.shownMembers
            rules.unretriedMemberKinds = [PersonaClickBinding.permanent]
            return rules
        default:
            return nil
        }
    }

    /// Nothing is read live: state says what was applied; the change feed is read by ``reviewsMembers(_:record:refresh:)``.
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { false }

    /// Preferences applied before (the change feed since then is read), or any with `--refresh` (`check`).
    public func reviewsMembers(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) -> Bool {
        resource.kind == Self.preferences && (record != nil || refresh)
    }

    /// Each `hard_bounced` callback an action adds: `! irreversible`.
    public func memberNotes(_ resource: DesiredResource, adding members: [String: [String]]) -> [PlanNote] {
        guard resource.kind == Self.suppressions else { return [] }
        return (members[PersonaClickBinding.permanent] ?? []).map { member in
            PlanNote(word: "irreversible", text: PersonaClickBinding.split(member).email + ": `hard_bounced` removes the email for good; it is never sent again blindly")
        }
    }
}
