import CampaignEngine
import Foundation

/// CleverTap's kinds: segment campaigns (`scheduled`: created once, replaced while pending, immutable once they
/// started) and identity sends (`send`: delivered once per recipient, recipients only ever added).
public struct CleverTapRules: ProviderRules {
    public static let name = "clevertap"
    public static let scheduled = "scheduled"
    public static let send = "send"

    public init() {}

    public var name: String { Self.name }

    public func rules(for kind: String) -> KindRules? {
        switch kind {
        case Self.scheduled: return KindRules(change: .replaceWhilePending(margin: Planner.replaceMargin))
        case Self.send:
            // One request per batch of up to 1,000 identities: with the state write between two batches (a commit,
            // with a PostgreSQL state) the send phase was 1.27× the client alone's time in `make bench`; overlapped,
            // 1.02–1.05× (medians of three sets of runs; a file state: 1.11× and 1.01×).
            var send = KindRules(change: .refusedOnceCreated, members: .appendOnly, deliverAction: .send)
            send.overlapsBatches = true
            return send
        default: return nil
        }
    }

    /// `completed: sent 82, clicked 28` once `result.json` gave the statistics.
    public func summary(of record: StateRecord) -> String? {
        guard record.status == .completed, let sent = record.facts[fact: "sent"], let clicked = record.facts[fact: "clicked"] else { return nil }
        // Plain concatenation: this runs for every unchanged completed campaign.
        return "completed: sent " + sent + ", clicked " + clicked
    }

    /// A segment campaign with an id and no request of unknown outcome, not yet final (any but a stopped one with
    /// `refresh`): `result.json` and `list.json` tell about it. Sends have nothing to read.
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool {
        record.kind == Self.scheduled && record.id != nil && record.intent == nil && record.status != .unknown
            && (refresh ? record.status != .stopped : record.status == .scheduled)
    }
}
