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

@Suite("Recipients: duplicates are dropped, the first listing kept and shown")
struct RecipientDuplicateTests {
    /// Inline recipients come first, then the CSV's rows; a repeat (an email in any letter case) is dropped with a
    /// warning pointing at where it was first listed; past twenty warnings one summary counts the rest.
    @Test func duplicatesAreDroppedWithTheFirstListingShown() throws {
        var csv = "identity,email\n"
        csv += "u1,Ana@Example.com\n"     // line 2: u1 repeats the inline u1; the email repeats the inline one
        csv += "u2,\n"                    // line 3
        csv += "u2,bo@example.com\n"      // line 4: u2 repeats line 3
        for _ in 0..<25 { csv += "u3,\n" }  // lines 5...29: u3, then 24 repeats
        let fixture = try ProjectFixture([
            "send.yaml": "name: Dups\ntype: identity\naudience:\n  identity: [u1, u9]\n  email: [ana@example.com]\n  file: people.csv\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n",
            "people.csv": csv,
        ])
        let loaded = fixture.load()
        #expect(loaded.errors.isEmpty, "\(loaded.errors.prefix(3))")
        let campaign = try #require(loaded.campaigns.first)
        guard case .identity(let identity) = campaign.delivery else {
            Issue.record("not an identity send")
            return
        }
        #expect(identity.recipients[.identity] == ["u1", "u9", "u2", "u3"])
        #expect(identity.recipients[.email] == ["ana@example.com", "bo@example.com"])
        let warnings = loaded.warnings.filter { $0.code.rawValue == "C031" }
        // 1 (u1) + 1 (u2) + 24 (u3) + 1 (email) = 27 repeats: 20 warnings and one summary of the other 7.
        #expect(warnings.count == 21)
        let u1 = try #require(warnings.first { $0.message == "identity `u1` is listed twice; sending once" })
        #expect(u1.location?.file.hasSuffix("people.csv") == true && u1.location?.line == 2 && u1.location?.column == 1)
        #expect(u1.related.first?.location.file.hasSuffix("send.yaml") == true && u1.related.first?.location.line == 4)
        let u2 = try #require(warnings.first { $0.message == "identity `u2` is listed twice; sending once" })
        #expect(u2.location?.line == 4 && u2.related.first?.location.line == 3 && u2.related.first?.location.column == 1)
        let email = try #require(warnings.first { $0.message.hasPrefix("email `Ana@Example.com`") })
        #expect(email.location?.line == 2 && email.location?.column == 4 && email.related.first?.location.line == 5)
        let u3 = warnings.filter { $0.message == "identity `u3` is listed twice; sending once" }
        #expect(u3.allSatisfy { $0.related.first?.location.line == 5 })
        let summary = try #require(warnings.first { $0.message.hasSuffix("more duplicate recipients dropped") })
        #expect(summary.message == "7 more duplicate recipients dropped")
    }
}
