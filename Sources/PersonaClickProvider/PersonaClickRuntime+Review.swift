import CampaignDeploy
import CampaignEngine
import CampaignModel
import Foundation
import JSON
import PersonaClickClient

/// Before a plan: the change feed since the last apply (and, with `--refresh`, `check`) decides which contacts are
/// held back for consent (``PersonaClickConsent``).
extension PersonaClickRuntime {
    /// What the review read, for the notes and for benchmarks.
    public struct FeedRead: Sendable {
        public var items: Int
        public var pages: Int
        public var seconds: Double
    }

    public func review(_ resource: DesiredResource, record: StateRecord?, refresh: Bool) async throws(ProviderFailure) -> MemberReview? {
        guard resource.kind == PersonaClickRules.preferences else { return nil }
        let members = resource.members?[PersonaClickBinding.contact] ?? []
        let recordedMembers = record?.delivered[PersonaClickBinding.contact] ?? []
        // Recorded contacts are decoded only when needed: those held (a `!` after the flags) now, the others below.
        var held: Set<String> = []
        for text in recordedMembers where text.utf8.suffix(8).contains(UInt8(ascii: "!")) {
            if let member = PersonaClickMember(text), !member.held.isEmpty { held.insert(member.contact) }
        }
        // The change feed since the last apply.
        var latest: [String: [String: PersonaClickChange]] = [:]
        var read: FeedRead?
        if let record {
            let since = Self.instant(record.updatedAt)
            let started = ContinuousClock.now
            let from = Self.day(since ?? Date(timeIntervalSinceNow: -86_400))
            let to = Self.day(Date(timeIntervalSinceNow: 86_400))
            do {
                let feed = try await client.allChanges(from: from, to: to)
                latest = PersonaClickConsent.latest(feed.changes, after: since)
                let elapsed = ContinuousClock.now - started
                read = FeedRead(items: feed.changes.count, pages: feed.pages, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            } catch {
                throw Self.failure(error)
            }
        }
        if let read, ProcessInfo.processInfo.environment["CAMPAIGN_PERSONACLICK_FEED_TIMING"] == "1" {
            FileHandle.standardError.write(Data("personaclick: change feed read: \(read.items) items in \(read.pages) pages, \(String(format: "%.3f", read.seconds)) s\n".utf8))
        }
        // The contacts a batch of unknown outcome was sending: checked at the source before they are sent again.
        var inDoubt: Set<String> = []
        if let intent = record?.intent, intent.action == .send { inDoubt = Set(intent.recipients[PersonaClickBinding.contact] ?? []) }
        // With --refresh: what the source says of each contact about to be sent a flag set true.
        var checks: [String: PersonaClickCheck] = [:]
        if refresh {
            let recordedSet = Set(recordedMembers)
            let wanted = members.compactMap { text -> PersonaClickMember? in
                guard !recordedSet.contains(text), let member = PersonaClickMember(text), member.identity == "email" || member.identity == "phone",
                    member.flags.contains(true) else { return nil }
                return member
            }
            checks = try await check(wanted)
        }
        // Contacts the source cannot be asked about (not an email or a phone) are decided too: a flag turned on needs a
        // confirmation (``PersonaClickConsent/Reason/unverifiable``).
        let uncheckable = members.contains { !Self.isCheckableText($0) }
        // Nothing the source said concerns any contact, and nothing is held or in doubt: planned as the files say.
        if latest.isEmpty, held.isEmpty, checks.isEmpty, inDoubt.isEmpty, !uncheckable { return nil }
        // The contacts of the files the source said something about (looked up without making a string per member).
        var concerned: [Substring: [String: PersonaClickChange]] = [:]
        for text in members {
            let contact = PersonaClickMember.contact(of: text)
            if let events = latest.isEmpty ? nil : latest[String(contact)] {
                concerned[contact] = events
            } else if held.contains(String(contact)) || checks[String(contact)] != nil || !Self.isCheckableText(text) {
                concerned[contact] = [:]
            }
        }
        var recordedText: [Substring: String] = [:]
        if !concerned.isEmpty {
            for text in recordedMembers {
                let contact = PersonaClickMember.contact(of: text)
                if concerned[contact] != nil { recordedText[contact] = text }
            }
        }
        var planned: [String] = []
        planned.reserveCapacity(members.count)
        var notes: [PlanNote] = []
        var changed = false
        for text in members {
            let contactText = PersonaClickMember.contact(of: text)
            guard let events = concerned.isEmpty ? nil : concerned[contactText], let desired = PersonaClickMember(text) else {
                planned.append(text)
                continue
            }
            let before = recordedText[contactText].flatMap(PersonaClickMember.init)
            let decision = PersonaClickConsent.decide(desired: desired, recorded: before, events: events, check: checks[desired.contact])
            let encoded = decision.member.encoded
            if encoded != text { changed = true }
            planned.append(encoded)
            for (channel, reason) in decision.held where !desired.trueFlags(of: channel).isEmpty || reason != .recorded || before?.held.contains(channel) != true {
                notes.append(PlanNote(word: "consent", text: Self.heldText(desired, channel: channel, reason: reason)))
            }
            for (channel, reason) in decision.resubscribed {
                notes.append(PlanNote(mark: "+", word: "resubscribe", text: "\(desired.value): \(channel) \(Self.reasonText(reason)); sent again as `resubscribe: confirmed` says"))
            }
        }
        guard changed || !notes.isEmpty || !inDoubt.isEmpty else { return nil }
        return MemberReview(
            resource: PersonaClickBinding.preferences(key: resource.key, name: resource.name, file: resource.file, project: resource.project, members: planned, checkFirst: inDoubt),
            notes: notes)
    }

    /// Whether a member's text names an email or a phone (what the feed and `check` can name).
    static func isCheckableText(_ text: String) -> Bool { text.hasPrefix("email:") || text.hasPrefix("phone:") }

    /// `ana@example.com: unsubscribe through unsubscribe_page at 2026-11-30T09:12:03.000 (email): email_bulk stays as the source has it — not resubscribed; …`
    static func heldText(_ desired: PersonaClickMember, channel: String, reason: PersonaClickConsent.Reason) -> String {
        let flags = desired.trueFlags(of: channel)
        let what = flags.isEmpty ? "\(channel) flags" : flags.map { "`\($0): true`" }.joined(separator: ", ")
        return "\(desired.value): \(reasonText(reason)) — \(what) not sent, not resubscribed; remove the row, or add `resubscribe: confirmed` if the person asked to be subscribed again"
    }

    static func reasonText(_ reason: PersonaClickConsent.Reason) -> String {
        switch reason {
        case .event(let change):
            "\(change.event) through \(change.channel.isEmpty ? "an unnamed channel" : change.channel) at \(change.datetime) (\(change.contactType))"
        case .recorded:
            "opted out at the source before the last apply (held since, recorded in state)"
        case .check(let what):
            "the source says \(what) (check)"
        case .unverifiable:
            "a flag the last apply sent false, for a contact the source cannot be asked about (the feed and check name only emails and phones)"
        }
    }

    /// `check` of each of `members`, concurrently (the client's limits apply).
    func check(_ members: [PersonaClickMember]) async throws(ProviderFailure) -> [String: PersonaClickCheck] {
        let client = self.client
        let workers = max(1, min(client.configuration.call.concurrency, members.count))
        let results = await withTaskGroup(of: [(String, Result<PersonaClickCheck, PersonaClickError>)].self) { group in
            let next = Counter()
            for _ in 0..<workers {
                group.addTask {
                    var done: [(String, Result<PersonaClickCheck, PersonaClickError>)] = []
                    while let index = await next.take(below: members.count) {
                        let member = members[index]
                        let result: Result<PersonaClickCheck, PersonaClickError>
                        do throws(PersonaClickError) {
                            result = .success(try await client.check(identity: member.identity, value: member.value))
                        } catch {
                            result = .failure(error)
                        }
                        done.append((member.contact, result))
                    }
                    return done
                }
            }
            var all: [(String, Result<PersonaClickCheck, PersonaClickError>)] = []
            for await part in group { all += part }
            return all
        }
        var checks: [String: PersonaClickCheck] = [:]
        for (contact, result) in results {
            switch result {
            case .success(let found): checks[contact] = found
            case .failure(let error): throw Self.failure(error)
            }
        }
        return checks
    }

    /// An ISO 8601 time as state writes it.
    static func instant(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// `YYYY-MM-DD` in UTC.
    static func day(_ date: Date) -> String {
        String(date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0) ?? .current).year().month().day()).prefix(10))
    }
}
