import CampaignEngine

/// Gathers live facts for resources in state from their providers: only for records their provider queries
/// (``ProviderRules/isQueried(_:refresh:)``), so that no credentials are read when nothing is to be asked.
public enum LiveData {
    /// Whether ``gather(state:providers:rules:refresh:)`` has anything to ask.
    public static func isNeeded(for state: EngineState, rules: RuleBook, refresh: Bool) -> Bool {
        state.campaigns.values.contains { rules.isQueried($0, refresh: refresh) }
    }

    /// Live facts by key, provider by provider.
    public static func gather(state: EngineState, providers: ProviderSet, rules: RuleBook, refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus] {
        var live: [String: LiveStatus] = [:]
        for (provider, records) in rules.queried(in: state, refresh: refresh).sorted(by: { $0.key < $1.key }) {
            let runtime = try await providers.runtime(provider)
            for (key, status) in try await runtime.live(records, refresh: refresh) { live[key] = status }
        }
        return live
    }
}
