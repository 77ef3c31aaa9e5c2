import CampaignEngine
import Foundation

/// Settles resources whose last request has an unknown outcome, using what each provider can tell
/// (``ProviderRuntime/locate(_:among:)``) and ``ApplyMachine/settle(_:found:at:)``.
public enum Reconciler {
    /// What reconciling one key found.
    public struct Finding: Sendable {
        public var key: String
        public var outcome: String
        public var settled: Bool
    }

    /// Settles every unknown key that can be settled. `desired`: the resources the files describe now, by key (a
    /// provider may compare what was in flight with them).
    public static func reconcile(journal: any StateWriter, providers: ProviderSet, desired: [String: DesiredResource] = [:]) async throws -> [Finding] {
        let state = await journal.state
        var findings: [Finding] = []
        for (key, record) in state.campaigns.sorted(by: { $0.key < $1.key }) where record.status == .unknown || record.intent != nil {
            let runtime = try await providers.runtime(record.provider)
            try LiveData.checkAccount(of: runtime, in: state)
            // Against state as it is now: an id adopted for an earlier key is not adopted again.
            let found = try await runtime.locate(record, among: await journal.state.campaigns, desired: desired[key])
            let (settled, done) = ApplyMachine.settle(record, found: found, at: StateJournal.timestamp())
            // Saved when settled, or when part of a batch in flight was found done.
            var partly = false
            if case .delivered(let members, _) = found { partly = !members.isEmpty }
            if done || partly { try await journal.update(key) { $0 = settled } }
            let outcome: String
            switch found {
            case .found(let id, let status, _):
                outcome = record.intent?.action == .stop
                    ? (status == .stopped ? "the stop took effect" : "the stop did not take effect; the next plan stops it again")
                    : "found campaign \(id) (\(status.rawValue)); adopted"
            case .absent:
                outcome = record.intent?.action == .stop
                    ? "the stop did not take effect; the next plan stops it again"
                    : "not found in the provider's listing; still unknown (if you are sure it was not created: `campaign state resolve \(key) --not-created`)"
            case .ambiguous(let ids):
                outcome = "\(ids.count) campaigns match by name and date (\(ids.joined(separator: ", "))); resolve with `campaign state resolve \(key) --id N`"
            case .cannotTell(let why):
                outcome = why
            case .redo:
                outcome = "the \(record.intent?.action.rawValue ?? "request") in flight is made again by the next apply (its requests are idempotent)"
            case .delivered(let members, let why):
                let found = members.values.reduce(0) { $0 + $1.count }
                let open = (settled?.intent?.recipients ?? [:]).values.reduce(0) { $0 + $1.count }
                outcome = done
                    ? "the \(found) members in flight were found done; settled"
                    : "\(found) of the \(found + open) members in flight were found done; \(open) still unknown: \(why) (decide with `campaign state resolve \(key) --sent`"
                        + ((settled?.intent?.batches ?? 1) > 1 ? ", `--first-sent`" : "") + " or `--not-created`)"
            }
            findings.append(Finding(key: key, outcome: outcome, settled: done))
        }
        return findings
    }

    /// The user's word on an unknown key (``ApplyMachine/resolve(_:_:key:at:)``), saved.
    public static func resolve(_ key: String, _ resolution: ApplyMachine.Resolution, journal: any StateWriter) async throws(DeployError) -> String {
        guard let record = await journal.state.campaigns[key] else {
            throw DeployError("S020", "no campaign `\(EngineState.shown(key))` in state")
        }
        if case .id(let id) = resolution, let other = await journal.state.campaigns.first(where: { $0.key != key && $0.value.provider == record.provider && $0.value.id == id })?.key {
            throw DeployError("S023", "the id \(EngineState.shown(id)) belongs to `\(EngineState.shown(other))` already", hint: "check the id in the provider's dashboard")
        }
        let resolved: (record: StateRecord?, message: String)
        do {
            resolved = try ApplyMachine.resolve(record, resolution, key: key, at: StateJournal.timestamp())
        } catch {
            throw DeployError(error.code, error.message)
        }
        try await journal.update(key) { $0 = resolved.record }
        return resolved.message
    }
}
