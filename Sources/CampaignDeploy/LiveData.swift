import CampaignEngine
import CleverTapClient
import Foundation

/// Gathers live facts for campaigns in state: `result.json` for each scheduled campaign that is not final (or every
/// one with `refresh`), and `list.json` to notice campaigns stopped outside the tool.
public enum LiveData {
    /// Whether live data is read for `record`: a scheduled campaign with an id and no request of unknown outcome,
    /// not yet final (any but a stopped one with `refresh`).
    public static func isQueried(_ record: StateRecord, refresh: Bool) -> Bool {
        record.kind == .scheduled && record.id != nil && record.intent == nil && record.status != .unknown
            && (refresh ? record.status != .stopped : record.status == .scheduled)
    }

    /// Whether ``gather(state:client:refresh:)`` has anything to ask (so whether a client is needed at all).
    public static func isNeeded(for state: EngineState, refresh: Bool) -> Bool {
        state.campaigns.values.contains { isQueried($0, refresh: refresh) }
    }

    /// What to do about an error reading live data.
    public static func hint(for error: CleverTapError) -> String? {
        switch error.kind {
        case .apiFailure, .invalidResponse:
            "if that campaign no longer exists at CleverTap, `campaign state forget KEY` drops its record (see it first with `campaign state show KEY`)"
        case .unauthorized: "check the account id and passcode variables"
        default: nil
        }
    }

    public static func gather(state: EngineState, client: CleverTapClient, refresh: Bool) async throws(CleverTapError) -> [String: LiveStatus] {
        var live: [String: LiveStatus] = [:]
        let candidates = state.campaigns.filter { _, record in isQueried(record, refresh: refresh) }
        guard !candidates.isEmpty else { return live }
        for (key, record) in candidates.sorted(by: { $0.key < $1.key }) {
            guard let id = record.id else { continue }
            do {
                switch try await client.result(id: id) {
                case .completed(let sent, let clicked): live[key] = .completed(sent: sent, clicked: clicked)
                case .notCompleted: live[key] = .notCompleted
                }
            } catch {
                // Say which campaign: a record whose id the API does not know would otherwise block every plan.
                var named = error
                named.message = "campaign `\(key)` (id \(id)): " + error.message
                throw named
            }
        }
        // Drift: stopped at the provider while state says scheduled.
        let pending = candidates.filter { live[$0.key] == .notCompleted }
        if !pending.isEmpty {
            let dates = pending.values.compactMap { $0.scheduledDate }
            let low = (dates.min() ?? 19700101) - 1
            let high = (dates.max() ?? 20991231) + 1
            let listed = try await client.listCampaigns(from: low, to: high)
            let stopped = Set(listed.filter { $0.status == "stopped" }.map(\.id))
            for (key, record) in pending where record.id.map(stopped.contains) == true {
                live[key] = .stoppedOutside
            }
        }
        return live
    }
}
