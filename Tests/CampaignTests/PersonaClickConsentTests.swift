import CampaignModel
import Foundation
import PersonaClickClient
import PersonaClickProvider
import Testing

/// The consent rule on its own: a pure function, every branch.
@Suite("PersonaClick: the consent rule")
struct PersonaClickConsentTests {
    static func member(_ flags: String, confirm: Bool = false, resubscribe: Bool = false, held: [String] = []) -> PersonaClickMember {
        PersonaClickMember(identity: "email", value: "ana@example.com",
                           flags: flags.map { $0 == "1" ? true : $0 == "0" ? false : nil }, confirm: confirm, resubscribe: resubscribe, held: held)
    }

    static func unsubscribe(_ channel: String = "unsubscribe_page", at time: String = "2026-11-30T09:12:03.000", event: String = "unsubscribe", type: String = "email") -> PersonaClickChange {
        PersonaClickChange(contact: "Ana@Example.com", contactType: type, event: event, channel: channel, datetime: time)
    }

    @Test func membersRoundTripThroughTheirText() throws {
        let member = Self.member("10-0--1-----", confirm: true, resubscribe: true, held: ["email", "mobile_push"])
        let text = member.encoded
        #expect(text == "email:ana@example.com #10-0--1-----cr!em")
        #expect(PersonaClickMember(text) == member)
        #expect(PersonaClickMember("email:ana@example.com #10x") == nil)
        #expect(PersonaClickMember("no separator") == nil)
        #expect(PersonaClickMember("email:a b #------------!q") == nil)
        #expect(PersonaClickMember.contact(of: text) == "email:ana@example.com")
    }

    /// A contact given by `external_id` cannot be looked up in the feed or checked: a flag the last apply sent false
    /// is not turned on (the person may have opted out meanwhile), unless a new `resubscribe: confirmed` says so.
    /// Flags already on, and contacts never applied, go as the files say.
    @Test func aFlagOfAnUncheckableContactIsNotTurnedOnWithoutAConfirmation() {
        func byID(_ flags: String, resubscribe: Bool = false) -> PersonaClickMember {
            PersonaClickMember(identity: "external_id", value: "C-7", flags: flags.map { $0 == "1" ? true : $0 == "0" ? false : nil }, resubscribe: resubscribe)
        }
        let turnedOn = PersonaClickConsent.decide(desired: byID("11----------"), recorded: byID("01----------"), events: [:], check: nil)
        #expect(turnedOn.member.flags.prefix(2) == [nil, nil] && turnedOn.member.held == ["email"])
        if case .unverifiable? = turnedOn.held.first?.reason {} else { Issue.record("not unverifiable: \(turnedOn.held)") }
        let confirmed = PersonaClickConsent.decide(desired: byID("11----------", resubscribe: true), recorded: byID("01----------"), events: [:], check: nil)
        #expect(confirmed.member.flags.prefix(2) == [true, true] && confirmed.held.isEmpty && confirmed.resubscribed.count == 1)
        let kept = PersonaClickConsent.decide(desired: byID("1-1---------"), recorded: byID("1-0---------"), events: [:], check: nil)
        #expect(kept.held.count == 1)
        let unchanged = PersonaClickConsent.decide(desired: byID("10----------"), recorded: byID("11----------"), events: [:], check: nil)
        #expect(unchanged.held.isEmpty && unchanged.member.flags.prefix(2) == [true, false])
        let fresh = PersonaClickConsent.decide(desired: byID("11----------"), recorded: nil, events: [:], check: nil)
        #expect(fresh.held.isEmpty)
        // An email is checked through the feed instead: no such hold without an event.
        #expect(PersonaClickConsent.decide(desired: Self.member("11----------"), recorded: Self.member("01----------"), events: [:], check: nil).held.isEmpty)
    }

    @Test func anOptOutAtTheSourceHoldsTheChannelsTrueFlagsAndTheConfirmation() {
        let desired = Self.member("110" + "1--" + "------", confirm: true)
        let decision = PersonaClickConsent.decide(desired: desired, recorded: Self.member("11-1--------"), events: ["email": Self.unsubscribe()], check: nil)
        // Email's true flags are not sent, its false one is; SMS is untouched; no confirmation mail.
        #expect(decision.member.flags.prefix(3) == [nil, nil, false])
        #expect(decision.member.flags[3] == true)
        #expect(decision.member.held == ["email"] && !decision.member.confirm)
        #expect(decision.held.count == 1 && decision.held.first?.channel == "email")
        if case .event(let change)? = decision.held.first?.reason { #expect(change.channel == "unsubscribe_page" && change.contact == "ana@example.com") } else { Issue.record("not an event") }
    }

    @Test(arguments: ["hard_bounced", "complained", "blacklisted"]) func everyOptOutEventHolds(event: String) {
        let decision = PersonaClickConsent.decide(desired: Self.member("1-----------"), recorded: nil, events: ["email": Self.unsubscribe("api_callback", event: event)], check: nil)
        #expect(decision.member.held == ["email"])
    }

    @Test func aHoldRecordedInStateStaysWithoutNewEvents() {
        let decision = PersonaClickConsent.decide(desired: Self.member("1-----------"), recorded: Self.member("------------", held: ["email"]), events: [:], check: nil)
        #expect(decision.member.encoded == "email:ana@example.com #------------!e")
    }

    @Test func aNewConfirmationClearsTheHoldButAnOldOneNeverCoversALaterOptOut() {
        // New: the row says `resubscribe: confirmed`, the row last applied did not.
        let cleared = PersonaClickConsent.decide(desired: Self.member("1-----------", resubscribe: true), recorded: Self.member("------------", held: ["email"]), events: [:], check: nil)
        #expect(cleared.member.held.isEmpty && cleared.member.flags[0] == true && cleared.resubscribed.count == 1)
        // Old: applied with it already; a later unsubscribe holds again.
        let again = PersonaClickConsent.decide(desired: Self.member("1-----------", resubscribe: true), recorded: Self.member("1-----------", resubscribe: true),
                                               events: ["email": Self.unsubscribe()], check: nil)
        #expect(again.member.held == ["email"] && again.member.flags[0] == nil)
    }

    @Test func onlyTheLatestEventPerChannelAfterTheLastApplyCounts() throws {
        let since = try #require(PersonaClickChange.parse("2026-11-30T09:00:00.000"))
        let before = Self.unsubscribe(at: "2026-11-30T08:59:59.999")
        let out = Self.unsubscribe(at: "2026-11-30 09:10:00")
        let back = PersonaClickChange(contact: "ana@example.com", contactType: "email", event: "subscribe", channel: "resubscribe_page", datetime: "2026-11-30T09:20:00.000")
        #expect(PersonaClickConsent.latest([before], after: since).isEmpty)
        let latest = PersonaClickConsent.latest([out, back], after: since)
        #expect(latest["email:ana@example.com"]?["email"]?.event == "subscribe")
        // Subscribed again at the source after opting out: nothing to hold.
        let decision = PersonaClickConsent.decide(desired: Self.member("1-----------"), recorded: nil, events: latest["email:ana@example.com"] ?? [:], check: nil)
        #expect(decision.held.isEmpty)
        // Phones by their digits, push channels by their contact types.
        let sms = PersonaClickChange(contact: "+49 151 2345678", contactType: "sms", event: "unsubscribe", channel: "crm", datetime: "2026-11-30T10:00:00.000")
        #expect(PersonaClickConsent.latest([sms], after: since)["phone:+491512345678"]?["sms"] != nil)
    }

    @Test func checkSaysBouncedOrAFlagTurnedOffAtTheSource() {
        let bounced = PersonaClickCheck(exists: true, flags: [:], emailBounced: true)
        #expect(PersonaClickConsent.decide(desired: Self.member("1-----------"), recorded: nil, events: [:], check: bounced).member.held == ["email"])
        let off = PersonaClickCheck(exists: true, flags: ["sms_bulk": false])
        let desired = Self.member("---1--------")
        #expect(PersonaClickConsent.decide(desired: desired, recorded: Self.member("---1--------"), events: [:], check: off).member.held == ["sms"])
        // Never applied true by us: a first opt-in, not a resubscription.
        #expect(PersonaClickConsent.decide(desired: desired, recorded: nil, events: [:], check: off).held.isEmpty)
    }

    @Test func falseFlagsAndUnsetFlagsAreNeverHeld() {
        let decision = PersonaClickConsent.decide(desired: Self.member("00----------"), recorded: nil, events: ["email": Self.unsubscribe()], check: nil)
        #expect(decision.member.flags.prefix(2) == [false, false])
    }

    @Test func feedTimesInBothFormsAreRead() {
        #expect(PersonaClickChange.parse("2026-11-30T09:12:03.500")?.timeIntervalSince1970 == 1_796_029_923.5)
        #expect(PersonaClickChange.parse("2026-11-30 09:12:03")?.timeIntervalSince1970 == 1_796_029_923)
        #expect(PersonaClickChange.parse("30.11.2026") == nil)
        #expect(PersonaClickChange.parse("2026-13-30T09:12:03") == nil)
    }
}

extension PersonaClickConsentTests {
    @Test func anUnsubscribeFromOneCampaignTypeConcernsThatFlag() {
        let bulkOnly = PersonaClickChange(contact: "ana@example.com", contactType: "email", event: "unsubscribe", channel: "api", campaignType: "bulk", datetime: "2026-11-30T09:12:03.000")
        // Our own `email_bulk: false` shows in the feed as such an event: nothing to hold for the chain flag.
        let own = PersonaClickConsent.decide(desired: Self.member("01----------"), recorded: Self.member("01----------"), events: ["email": bulkOnly], check: nil)
        #expect(own.held.isEmpty)
        let wanted = PersonaClickConsent.decide(desired: Self.member("11----------"), recorded: Self.member("01----------"), events: ["email": bulkOnly], check: nil)
        #expect(wanted.member.held == ["email"] && wanted.member.flags.prefix(2) == [nil, nil])
    }
}

extension PersonaClickConsentTests {
    @Test func feedPagesAreReadInEveryShapeTheAPIUses() {
        let item = #"{"campaign_type":"bulk","channel":"unsubscribe_page","contact":"Ana@Example.com","contact_type":"email","datetime":"2026-11-30 09:12:03","event":"unsubscribe","ip":"1.2.3.4","extra":{"x":[1]}}"#
        for text in ["[\(item)]", #"{"status":"success","changes":["# + item + "]}", #"{"status":"success","payload":["# + item + "]}",
                     #"{"payload":{"changes":["# + item + #"],"total":1},"status":"success"}"#] {
            let page = PersonaClickChange.page(Array(text.utf8))
            #expect(page?.count == 1, "\(text)")
            #expect(page?.first?.contact == "ana@example.com" && page?.first?.channel == "unsubscribe_page" && page?.first?.date != nil)
        }
        #expect(PersonaClickChange.page(Array(#"{"status":"error","message":"shop not found"}"#.utf8)) == nil)
        #expect(PersonaClickChange.page(Array("[{\"contact\": 1, \"event\": \"unsubscribe\"}]".utf8)) == [])
        #expect(PersonaClickChange.page(Array("[{".utf8)) == nil)
    }
}
