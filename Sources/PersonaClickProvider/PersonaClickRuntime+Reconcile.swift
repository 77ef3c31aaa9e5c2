import CampaignDeploy
import CampaignEngine
import Foundation
import PersonaClickClient

/// What the source can tell about a record left with an intent.
extension PersonaClickRuntime {
    public func locate(_ record: StateRecord, among others: [String: StateRecord]) async throws(ProviderFailure) -> ApplyMachine.Finding {
        guard let intent = record.intent, intent.action == .send || intent.action == .update else {
            return .cannotTell("nothing to look up for a PersonaClick \(record.kind) without a delivery in flight")
        }
        let permanent = intent.recipients[PersonaClickBinding.permanent] ?? []
        guard !permanent.isEmpty else {
            // Preferences and reversible callbacks are idempotent: the next plan does the unrecorded batch again
            // (contacts checked first, so none is sent twice).
            return .found(id: record.id ?? record.kind, status: .sent, facts: [])
        }
        // `hard_bounced` callbacks (a batch of their own): those whose email the source shows bounced took effect and
        // are recorded as delivered, so they are never sent again; the others stay in doubt for the user.
        var bounced: [String] = []
        var notYet: [String] = []
        for member in permanent {
            let email = PersonaClickBinding.split(member).email
            do {
                let found = try await client.check(identity: "email", value: email)
                if found.emailBounced { bounced.append(member) } else { notYet.append(email) }
            } catch {
                throw Self.failure(error)
            }
        }
        return .delivered(
            bounced.isEmpty ? [:] : [PersonaClickBinding.permanent: bounced],
            unsettled: "\(notYet.count) of \(permanent.count) hard-bounce callbacks are not bounced at the source (\(notYet.prefix(3).joined(separator: ", "))\(notYet.count > 3 ? ", …" : "")); if they never arrived, `campaign state resolve KEY --not-created` plans them again")
    }
}
