import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import PersonaClickClient

/// PersonaClick behind the engine's ``ProviderRuntime``: preferences and suppressions performed one call per contact,
/// concurrently, each contact's failure its own; the change feed read before a plan so that consent withdrawn at the
/// source is held back (``PersonaClickConsent``).
public struct PersonaClickRuntime: ProviderRuntime {
    /// The client every call goes through.
    public let client: PersonaClickClient
    private let rules = PersonaClickRules()

    public init(client: PersonaClickClient) { self.client = client }

    public var name: String { rules.name }
    /// `sha256("personaclick:" + shop id)`, shortened.
    public var account: String { String(ContentHash.sha256(Array(("personaclick:" + client.configuration.shopID).utf8)).prefix(16)) }
    public func rules(for kind: String) -> KindRules? { rules.rules(for: kind) }
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { rules.isQueried(record, refresh: refresh) }
    public func reviewsMembers(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) -> Bool { rules.reviewsMembers(resource, record: record, refresh: refresh) }
    public func memberNotes(_ resource: DesiredResource, adding members: [String: [String]]) -> [PlanNote] { rules.memberNotes(resource, adding: members) }

    public func live(_ records: [String: StateRecord], refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus] { [:] }

    public func checkBeforeReplace(_ record: StateRecord) async -> (failure: ProviderFailure, observed: LiveStatus?)? {
        (ProviderFailure(code: "PC-REPLACE", message: "PersonaClick resources are never replaced"), nil)
    }

    static func failure(_ error: PersonaClickError) -> ProviderFailure {
        ProviderFailure(code: error.code, message: error.description, hint: hint(error))
    }

    /// What the API's answer means, for the person reading the failure.
    static func hint(_ error: PersonaClickError) -> String? {
        switch error.kind {
        case .nothingToChange: "the API's 400: nothing to change (manage), a missing or wrong event (callback)"
        case .refused: "the API's 403: refused; check the shop id and the variable holding the shop secret"
        case .missingParameter: "the API's 404: a mandatory parameter is missing"
        case .configuration: "see `personaclick:` in docs/LANGUAGE.md"
        default: nil
        }
    }

    public func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome {
        switch step {
        case .deliver(let request):
            if request.path == PersonaClickBinding.stateOnly { return .done(id: nil, facts: []) }
            return await deliver(request)
        case .update(let request) where request.path == PersonaClickBinding.stateOnly:
            return .done(id: nil, facts: [])
        case .create, .stop, .update:
            return .failed(ProviderFailure(code: "PC-STEP", message: "PersonaClick resources are only synced contact by contact"), neverSent: true)
        }
    }

    public func estimate(_ request: ProviderRequest) async throws(ProviderFailure) -> [(String, Int)] { [] }

    public func shutdown() async { await client.shutdown() }
}
