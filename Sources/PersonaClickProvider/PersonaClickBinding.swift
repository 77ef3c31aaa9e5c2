import CampaignDeploy
import CampaignEngine
import CampaignModel
import Foundation
import JSON
import PersonaClickClient

/// Binds validated PersonaClick resources to the engine: their kinds, hashes, members and requests. Pure.
public enum PersonaClickBinding {
    /// The path of a request that changes only state (a contact whose row left the file is no longer managed).
    public static let stateOnly = "(state only)"
    /// Contacts per request (each contact is its own API call, made concurrently by the runtime).
    public static let membersPerRequest = 1_000
    /// Member kinds: a contact of preferences; a callback; a callback that cannot be undone (`hard_bounced`).
    public static let contact = "contact"
    public static let callback = "callback"
    public static let permanent = "permanent"
    /// A request body's list of contacts the runtime checks at the source before sending (a batch of unknown outcome
    /// done again: a contact whose flags are already there is not sent twice).
    public static let checkFirst = "check_first"

    /// The engine's view of `resources` of the project `project`.
    public static func desired(_ resources: [PersonaClickResource], project: String = ".", relativeFile: @escaping @Sendable (String) -> String = { $0 }) -> [DesiredResource] {
        resources.map { resource in
            let file = relativeFile(resource.file)
            switch resource.body {
            case .preferences(let preferences):
                return PersonaClickBinding.preferences(key: resource.key, name: resource.name, file: file, project: project,
                                   members: preferences.contacts.map { PersonaClickMember($0).encoded }, checkFirst: [])
            case .suppressions(let suppressions):
                return self.suppressions(resource, suppressions, file: file, project: project)
            }
        }
    }

    static func hash(_ value: JSONValue) -> String { ContentHash.sha256(JSONWriter(indent: nil).bytes(value)) }

    /// Subscription preferences whose members are `members` (encoded ``PersonaClickMember``s); the contacts of
    /// `checkFirst` are checked at the source before they are sent.
    public static func preferences(key: String, name: String, file: String, project: String, members: [String], checkFirst: Set<String>) -> DesiredResource {
        let settings = JSONValue.object([("type", .string(PersonaClickRules.preferences))])
        return DesiredResource(
            key: key, name: name, file: file, project: project, provider: PersonaClickRules.name, kind: PersonaClickRules.preferences,
            hash: hash(settings), members: [contact: members],
            removals: { gone in
                chunks(gone[contact] ?? []).enumerated().map {
                    ProviderRequest(path: stateOnly, body: .object([("contacts", .array($1.map { .string(PersonaClickMember.contact(of: $0).description) }))]),
                                    batch: $0 + 1, recipients: [contact: $1], removes: true)
                }
            }
        ) { subset in
            let list = subset.map { $0[contact] ?? [] } ?? members
            let requests = chunks(list).enumerated().map { index, part in
                var fields: [(String, JSONValue)] = [("contacts", .array(part.map(manageBody)))]
                let confirm = part.compactMap { PersonaClickMember($0) }.filter(\.confirm).map { JSONValue.string($0.value) }
                if !confirm.isEmpty { fields.append(("confirm_email", .array(confirm))) }
                let doubtful = part.filter { checkFirst.contains($0) }
                if !doubtful.isEmpty { fields.append((PersonaClickBinding.checkFirst, .array(doubtful.map { .string($0) }))) }
                return ProviderRequest(path: PersonaClickPaths.manage, body: .object(fields), batch: index + 1, recipients: [contact: part])
            }
            return requests.isEmpty ? [ProviderRequest(path: stateOnly, body: settings)] : requests
        }
    }

    /// What `manage` is sent for a member: its identity and the flags it gives (real booleans).
    public static func manageBody(_ text: String) -> JSONValue {
        guard let member = PersonaClickMember(text) else { return .null }
        return .object([(member.identity, .string(member.value))] + member.sentFlags.map { ($0.0, .bool($0.1)) })
    }

    static func suppressions(_ resource: PersonaClickResource, _ suppressions: PersonaClickSuppressions, file: String, project: String) -> DesiredResource {
        let settings = JSONValue.object([("type", .string(PersonaClickRules.suppressions))])
        var members: [String: [String]] = [:]
        for entry in suppressions.entries {
            members[entry.event == .hardBounced ? permanent : callback, default: []].append(entry.email + " " + entry.event.rawValue)
        }
        let all = members
        return DesiredResource(
            key: resource.key, name: resource.name, file: file, project: project, provider: PersonaClickRules.name, kind: PersonaClickRules.suppressions,
            hash: hash(settings), members: all,
            removals: { gone in
                gone.keys.sorted().flatMap { kind in
                    chunks(gone[kind] ?? []).enumerated().map {
                        ProviderRequest(path: stateOnly, body: .object([("callbacks", .array($1.map(callbackBody)))]), batch: $0 + 1, recipients: [kind: $1], removes: true)
                    }
                }
            }
        ) { subset in
            let lists = subset ?? all
            // Reversible callbacks first, then those that remove an email for good, in batches of their own.
            var requests: [ProviderRequest] = []
            for kind in [callback, permanent] {
                for part in chunks(lists[kind] ?? []) {
                    requests.append(ProviderRequest(path: PersonaClickPaths.callback, body: .object([("callbacks", .array(part.map(callbackBody)))]),
                                                    batch: requests.count + 1, recipients: [kind: part]))
                }
            }
            return requests.isEmpty ? [ProviderRequest(path: stateOnly, body: settings)] : requests
        }
    }

    /// `{"email", "event"}` of a suppression member (`ana@example.com hard_bounced`).
    public static func callbackBody(_ member: String) -> JSONValue {
        let (email, event) = split(member)
        return .object([("email", .string(email)), ("event", .string(event))])
    }

    /// A suppression member's email and event.
    public static func split(_ member: String) -> (email: String, event: String) {
        guard let space = member.lastIndex(of: " ") else { return (member, "") }
        return (String(member[..<space]), String(member[member.index(after: space)...]))
    }

    static func chunks(_ list: [String]) -> [[String]] {
        stride(from: 0, to: list.count, by: membersPerRequest).map { Array(list[$0..<min(list.count, $0 + membersPerRequest)]) }
    }
}
