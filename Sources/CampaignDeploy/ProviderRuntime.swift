import CampaignEngine

/// The I/O half of a provider: what the engine asks of it while planning, applying and reconciling. A provider
/// is a plug-in: a module that binds its resources (``DesiredResource``), declares its kinds' rules
/// (``ProviderRules``) and implements this protocol; nothing in the engine names it.
public protocol ProviderRuntime: ProviderRules {
    /// A fingerprint of the account this runtime talks to (a hash, never the account id or a secret), recorded in
    /// state at the first apply and checked at every later one.
    var account: String { get }
    /// Live facts for `records` (all of this provider's and queried), by key.
    func live(_ records: [String: StateRecord], refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus]
    /// Before a replace stops `record`: nil when it is still pending at the provider (so it may be replaced), or
    /// why not, with what was learned about it.
    func checkBeforeReplace(_ record: StateRecord) async -> (failure: ProviderFailure, observed: LiveStatus?)?
    /// Performs one step for the resource `record` describes (nil before a first create or delivery).
    func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome
    /// What the provider can tell about a record left with an intent (reconcile).
    func locate(_ record: StateRecord, among others: [String: StateRecord]) async throws(ProviderFailure) -> ApplyMachine.Finding
    /// The same, with the resource the files describe now under the record's key (nil when there is none): what a
    /// batch in flight carried can be compared with what the provider holds. By default ``locate(_:among:)``.
    func locate(_ record: StateRecord, among others: [String: StateRecord], desired: DesiredResource?) async throws(ProviderFailure) -> ApplyMachine.Finding
    /// The estimated reach of a create, by audience part (optional; empty when the provider cannot say).
    func estimate(_ request: ProviderRequest) async throws(ProviderFailure) -> [(String, Int)]
    /// Releases connections.
    func shutdown() async
    /// Before a plan proposes `request` (a create its rules check, ``ProviderRules/checksBeforeCreate(_:)``): nil
    /// when it can be made, else why not (the plan refuses it).
    func checkBeforeCreate(_ request: ProviderRequest) async throws(ProviderFailure) -> String?
    /// Before a plan is made for `resource` (one its rules review, ``ProviderRules/reviewsMembers(_:record:refresh:)``):
    /// the resource as the source allows it now (members held back or changed, for example for consent withdrawn
    /// since `record` was applied) and the notes that say why; nil to plan it as the files say.
    func review(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) async throws(ProviderFailure) -> MemberReview?
}

extension ProviderRuntime {
    public func locate(_ record: StateRecord, among others: [String: StateRecord], desired: DesiredResource?) async throws(ProviderFailure) -> ApplyMachine.Finding {
        try await locate(record, among: others)
    }

    public func checkBeforeCreate(_ request: ProviderRequest) async throws(ProviderFailure) -> String? { nil }
    public func review(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) async throws(ProviderFailure) -> MemberReview? { nil }
}

/// What a provider's review made of a resource before planning: the resource to plan instead (same key, provider
/// and kind), and the notes shown under its action.
public struct MemberReview: Sendable {
    public var resource: DesiredResource
    public var notes: [PlanNote]

    public init(resource: DesiredResource, notes: [PlanNote]) {
        self.resource = resource
        self.notes = notes
    }
}

/// The providers of a run, made when first needed (a provider's credentials are read only when it is asked
/// something), and shut down together.
public actor ProviderSet {
    private let factories: [String: @Sendable () throws(ProviderFailure) -> any ProviderRuntime]
    private var made: [String: any ProviderRuntime] = [:]

    public init(_ factories: [String: @Sendable () throws(ProviderFailure) -> any ProviderRuntime]) {
        self.factories = factories
    }

    /// The runtime of `provider`, made now if it was not yet.
    public func runtime(_ provider: String) throws(ProviderFailure) -> any ProviderRuntime {
        if let runtime = made[provider] { return runtime }
        guard let factory = factories[provider] else {
            throw ProviderFailure(code: "S060", message: "no provider `\(provider)` in this build")
        }
        let runtime = try factory()
        made[provider] = runtime
        return runtime
    }

    /// Shuts down every runtime made.
    public func shutdown() async {
        for runtime in made.values { await runtime.shutdown() }
        made = [:]
    }
}
