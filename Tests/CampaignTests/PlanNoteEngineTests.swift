import CampaignEngine
import Foundation
import JSON
import Testing

/// The engine's generic additions for PersonaClick, on a toy kind: notes under actions (text, Markdown, JSON,
/// summary), member kinds never retried blindly, and members counted as changed when a version replaces another.
@Suite("Engine: plan notes, unretried member kinds, versioned members")
struct PlanNoteEngineTests {
    struct Rules: ProviderRules {
        var name: String { "toy" }
        func rules(for kind: String) -> KindRules? {
            var rules = KindRules(change: .inPlace, syncing: .update, addWord: "add", removeWord: "drop", retriesUnknownDelivery: true)
            rules.unretriedMemberKinds = ["forever"]
            if kind == "versioned" { rules.memberVersionSeparator = " #"; rules.shownMembers = 3 }
            return rules
        }
        func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { false }
        func memberNotes(_ resource: DesiredResource, adding members: [String: [String]]) -> [PlanNote] {
            (members["forever"] ?? []).map { PlanNote(word: "irreversible", text: "\($0) cannot be undone") }
        }
    }

    static func resource(_ kind: String, _ members: [String: [String]]) -> DesiredResource {
        DesiredResource(key: "k", name: "k", file: "k.yaml", provider: "toy", kind: kind, hash: "h", members: members,
                        removals: { gone in [ProviderRequest(path: "/drop", body: .null, recipients: gone, removes: true)] }) { subset in
            [ProviderRequest(path: "/add", body: .null, recipients: subset ?? members)]
        }
    }

    static func record(_ kind: String, delivered: [String: [String]], intent: Intent? = nil) -> StateRecord {
        var record = StateRecord(provider: "toy", kind: kind, name: "k", file: "k.yaml", hash: "h", status: .sent, at: "2026-01-01T00:00:00Z")
        record.delivered = delivered
        record.intent = intent
        return record
    }

    static func plan(_ resource: DesiredResource, _ record: StateRecord?) -> Plan {
        var state = EngineState()
        if let record { state.campaigns["k"] = record }
        return Planner(now: Date(), rules: RuleBook([Rules()])).plan(desired: [resource], state: state, live: [:])
    }

    @Test func providerNotesAreShownInEveryFormatAndCounted() throws {
        let plan = Self.plan(Self.resource("plain", ["forever": ["a@x"], "once": ["b@x"]]), nil)
        let text = PlanRenderer.text(plan, colors: false)
        #expect(text.contains("\n    ! irreversible: a@x cannot be undone\n"), "\(text)")
        #expect(plan.summary.hasSuffix("0 refused, 1 ! irreversible"))
        #expect(PlanRenderer.markdown(plan).contains("| ! | `k` | irreversible | a@x cannot be undone |"))
        let json = JSONWriter(indent: nil).string(PlanRenderer.json(plan))
        #expect(json.contains(#""notes":[{"mark":"!","word":"irreversible","text":"a@x cannot be undone"}]"#), "\(json)")
        // A note's control characters never reach the terminal.
        var noisy = plan
        noisy.actions[0].notes = [PlanNote(word: "consent", text: "a\u{1B}[31mb\nc")]
        #expect(PlanRenderer.text(noisy, colors: false).contains("! consent: a?[31mb?c\n"))
        // Without notes, the summary is as it always was.
        #expect(!Self.plan(Self.resource("plain", ["once": ["b@x"]]), nil).summary.contains("!"))
    }

    @Test func aBatchOfUnknownOutcomeIsPlannedAgainUnlessItHoldsAnUnretriedKind() {
        let retried = Self.plan(Self.resource("plain", ["once": ["b@x"]]),
                                Self.record("plain", delivered: [:], intent: Intent(action: .send, startedAt: "t", batch: 1, recipients: ["once": ["b@x"]])))
        #expect(retried.actions.first?.kind == .update)
        let refused = Self.plan(Self.resource("plain", ["forever": ["a@x"]]),
                                Self.record("plain", delivered: [:], intent: Intent(action: .send, startedAt: "t", batch: 1, recipients: ["forever": ["a@x"]])))
        #expect(refused.actions.first?.kind == .refused)
        #expect(refused.actions.first?.reason.contains("reconcile") == true)
    }

    @Test func aReplacedVersionIsCountedAsChanged() {
        let plan = Self.plan(Self.resource("versioned", ["c": ["ana #11", "bo #10", "cy #01"]]),
                             Self.record("versioned", delivered: ["c": ["ana #11", "bo #00", "dee #1"]]))
        #expect(plan.actions.first?.reason == "+1 add (cy #01), ~1 changed (bo), -1 drop (dee #1), 1 unchanged", "\(plan.actions.first?.reason ?? "")")
        // The requests are those of a plain sync: bo's new version sent, its old one and dee's dropped.
        #expect(plan.actions.first?.requests.map(\.path) == ["/add", "/drop"])
        #expect(Set(plan.actions.first?.requests.first?.recipients["c"] ?? []) == ["bo #10", "cy #01"])
    }
}
