import CampaignModel
import CleverTapCompiler
import Foundation
import Testing
import Workspace

@Suite("Scale: recipients are added in amortized constant time")
struct RecipientScaleTests {
    /// A million recipients from a CSV load through the real loader. Before the fix every added recipient copied
    /// its whole list, and this never finished; there is no timing assertion (`make bench` measures it).
    @Test(.timeLimit(.minutes(5))) func aMillionRecipientsFromACSV() async throws {
        try await TestSupport.offThePool { try Self.loadAMillion() }
    }

    static func loadAMillion() throws {
        let count = 1_000_000
        var csv = "identity,email\n"
        csv.reserveCapacity(count * 40)
        for index in 0..<count {
            csv += "customer-\(index)"
            // Every tenth row also has an email: two lists, filled row by row.
            csv += index % 10 == 0 ? ",c\(index)@example.com\n" : ",\n"
        }
        let fixture = try ProjectFixture([
            "send.yaml": "name: Million\ntype: identity\naudience: {file: people.csv}\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n",
            "people.csv": csv,
        ])
        let loaded = fixture.load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.prefix(3))")
        let campaign = try #require(loaded.campaigns.first)
        guard case .identity(let identity) = campaign.delivery else {
            Issue.record("not an identity send")
            return
        }
        #expect(identity.recipients[.identity].count == count)
        #expect(identity.recipients[.email].count == count / 10)
        #expect(identity.recipients.count == count + count / 10)
        #expect(identity.recipients[.identity].last == "customer-\(count - 1)")
        #expect(identity.recipients[.email].first == "c0@example.com")
        #expect(CleverTapCompiler.batchRecipients(identity.recipients).count == 1100)
    }

    @Test func appendingThroughTheSubscriptKeepsOtherKindsAndOrder() {
        var recipients = Recipients()
        recipients[.email].append("a@example.com")
        recipients[.identity].append("u1")
        recipients[.email].append("b@example.com")
        #expect(recipients[.email] == ["a@example.com", "b@example.com"])
        #expect(recipients[.identity] == ["u1"])
        #expect(recipients[.fbid].isEmpty)
        #expect(recipients.count == 3)
        #expect(recipients == Recipients(lists: [.email: ["a@example.com", "b@example.com"], .identity: ["u1"]]))
    }
}
