import CampaignEngine
import CleverTapClient
import Foundation

/// Settles campaigns whose last request has an unknown outcome, using what the provider can tell.
public enum Reconciler {
    /// What reconciling one key found.
    public struct Finding: Sendable {
        public var key: String
        public var outcome: String
        public var settled: Bool
    }

    /// Settles every unknown key that can be settled: a create is found in `list.json` by exact name and scheduled
    /// date and its id adopted; a stop is confirmed or undone by the listing. Sends cannot be looked up: they stay
    /// unknown until `campaign state resolve`.
    public static func reconcile(journal: StateJournal, client: CleverTapClient) async throws -> [Finding] {
        let state = await journal.state
        var findings: [Finding] = []
        let adoptedIDs = Set(state.campaigns.values.compactMap(\.id))
        for (key, record) in state.campaigns.sorted(by: { $0.key < $1.key }) where record.status == .unknown || record.intent != nil {
            let pending = record.intent?.action ?? (record.kind == .scheduled ? .create : .send)
            switch pending {
            case .create:
                let date = record.scheduledDate ?? Applier.today()
                let listed = try await client.listCampaigns(from: date - 1, to: date + 1)
                let matches = listed.filter { item in
                    item.name == record.name && !adoptedIDs.contains(item.id)
                        && (record.when == "now" || record.scheduledDate == nil || item.scheduledOn / 10_000 == record.scheduledDate! || item.scheduledOn == record.scheduledDate!)
                }
                if matches.count == 1, let found = matches.first {
                    try await journal.update(key) { r in
                        r?.id = found.id
                        r?.intent = nil
                        r?.status = found.status == "stopped" ? .stopped : (found.status == "completed" ? .completed : .scheduled)
                        r?.updatedAt = StateJournal.timestamp()
                    }
                    findings.append(Finding(key: key, outcome: "found campaign \(found.id) (\(found.status)); adopted", settled: true))
                } else if matches.count > 1 {
                    findings.append(Finding(key: key, outcome: "\(matches.count) campaigns match by name and date (\(matches.map { String($0.id) }.joined(separator: ", "))); resolve with `campaign state resolve \(key) --id N`", settled: false))
                } else {
                    findings.append(Finding(key: key, outcome: "not found in the provider's listing; still unknown (if you are sure it was not created: `campaign state resolve \(key) --not-created`)", settled: false))
                }
            case .stop:
                guard let id = record.id else { continue }
                let date = record.scheduledDate ?? Applier.today()
                let listed = try await client.listCampaigns(from: date - 1, to: date + 1)
                let status = listed.first { $0.id == id }?.status
                try await journal.update(key) { r in
                    r?.intent = nil
                    r?.status = status == "stopped" ? .stopped : (status == "completed" ? .completed : .scheduled)
                    r?.updatedAt = StateJournal.timestamp()
                }
                findings.append(Finding(key: key, outcome: status == "stopped" ? "the stop took effect" : "the stop did not take effect; the next plan stops it again", settled: true))
            case .send:
                findings.append(Finding(key: key, outcome: "a send batch's outcome cannot be looked up; use `campaign state resolve \(key) --sent` or `--not-created`", settled: false))
            }
        }
        return findings
    }

    /// The user's word on an unknown key: the id it was created with, that it was not created (or the batch not
    /// sent), or that the batch was sent.
    public enum Resolution: Sendable {
        case id(Int)
        case notCreated
        case sent
    }

    public static func resolve(_ key: String, _ resolution: Resolution, journal: StateJournal) async throws(DeployError) -> String {
        guard let record = await journal.state.campaigns[key] else {
            throw DeployError("S020", "no campaign `\(key)` in state")
        }
        guard record.status == .unknown || record.intent != nil else {
            throw DeployError("S021", "`\(key)` is \(record.status.rawValue), not unknown; nothing to resolve")
        }
        switch (resolution, record.kind) {
        case (.id(let id), .scheduled):
            try await journal.update(key) { r in
                r?.id = id
                r?.intent = nil
                r?.status = .scheduled
                r?.updatedAt = StateJournal.timestamp()
            }
            return "`\(key)` adopted campaign \(id)"
        case (.notCreated, .scheduled):
            if record.intent?.action == .stop {
                try await journal.update(key) { r in
                    r?.intent = nil
                    r?.status = .scheduled
                }
                return "`\(key)`: the stop did not happen; it is scheduled again"
            }
            try await journal.update(key) { $0 = nil }
            return "`\(key)` forgotten: the next plan creates it"
        case (.notCreated, .send):
            try await journal.update(key) { r in
                r?.intent = nil
                if (r?.batchesSent ?? 0) == 0 { r = nil } else { r?.status = .sent }
            }
            return "`\(key)`: the unknown batch counts as not sent; the next plan sends to those recipients"
        case (.sent, .send):
            try await journal.update(key) { r in
                for (kind, ids) in r?.intent?.recipients ?? [:] { r?.delivered[kind, default: []] += ids }
                r?.batchesSent += 1
                r?.intent = nil
                r?.status = .sent
            }
            return "`\(key)`: the unknown batch counts as sent"
        case (.id, .send):
            throw DeployError("S022", "`\(key)` is a send; use --sent or --not-created")
        case (.sent, .scheduled):
            throw DeployError("S022", "`\(key)` is a scheduled campaign; use --id N or --not-created")
        }
    }
}
