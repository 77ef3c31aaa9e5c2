import CampaignEngine

/// Gathers live facts for resources in state from their providers: only for records their provider queries
/// (``ProviderRules/isQueried(_:refresh:)``) among those the run plans, so that no credentials are read when nothing
/// is to be asked, and records outside the run's scope are never asked about.
public enum LiveData {
    /// Whether ``gather(state:providers:rules:refresh:including:)`` has anything to ask.
    public static func isNeeded(for state: EngineState, rules: RuleBook, refresh: Bool, including: (String, StateRecord) -> Bool = { _, _ in true }) -> Bool {
        state.campaigns.contains { rules.isQueried($0.value, refresh: refresh) && including($0.key, $0.value) }
    }

    /// Throws when `state` was made with another account of `runtime`'s provider than the one it talks to.
    public static func checkAccount(of runtime: any ProviderRuntime, in state: EngineState) throws(ProviderFailure) {
        if let recorded = state.accounts[runtime.name], recorded != runtime.account {
            throw ProviderFailure(
                code: "S015", message: "the state belongs to another \(runtime.name) account than the credentials given",
                hint: "check --env, --state and the credential variables: this state must not be applied to that account")
        }
    }

    /// Live facts by key, provider by provider, for the records `including` accepts. With `unavailable`, a provider
    /// this run has no credentials for (``ProviderFailure/credentialsMissing``) is not asked but passed to it: its
    /// records are then planned from state alone.
    public static func gather(
        state: EngineState, providers: ProviderSet, rules: RuleBook, refresh: Bool, including: (String, StateRecord) -> Bool = { _, _ in true },
        unavailable: ((String, ProviderFailure) -> Void)? = nil
    ) async throws(ProviderFailure) -> [String: LiveStatus] {
        var live: [String: LiveStatus] = [:]
        var byProvider: [String: [String: StateRecord]] = [:]
        for (key, record) in state.campaigns where rules.isQueried(record, refresh: refresh) && including(key, record) {
            byProvider[record.provider, default: [:]][key] = record
        }
        for (provider, records) in byProvider.sorted(by: { $0.key < $1.key }) {
            let runtime: any ProviderRuntime
            do {
                runtime = try await providers.runtime(provider)
            } catch where error.credentialsMissing && unavailable != nil {
                unavailable?(provider, error)
                continue
            }
            try checkAccount(of: runtime, in: state)
            for (key, status) in try await runtime.live(records, refresh: refresh) { live[key] = status }
        }
        return live
    }
}
