import CampaignModel
import Foundation
import PersonaClickClient

/// The consent rule, as one pure function: a flag a contact turned off at the source is never turned on again by the
/// files. Small on purpose, so that it can be read in one sitting and is tested on its own (`PersonaClickConsentTests`).
///
/// Per channel (email, SMS, web push, mobile push) a contact is **held** when any of these is true:
/// - the change feed's latest event for the contact on that channel since the last apply is an opt-out
///   (`unsubscribe`, `hard_bounced`, `complained`, `blacklisted`), wherever it happened (`unsubscribe_page`, `crm`…),
///   and the files or the last apply set a flag it concerns true (an `unsubscribe` naming a campaign type concerns
///   that type's flag, any other opt-out every flag of the channel);
/// - state records the channel as held (an opt-out seen by an earlier plan and applied);
/// - with `--refresh`, `/subscriptions/check` says the email bounced, is blacklisted or suppressed (email), or that
///   a flag the files set true and the last apply sent true is false at the source now;
/// - the contact cannot be asked about at the source (`external_id`, `loyalty_id`, `telegram_id`) and the files
///   turn on a flag the last apply sent false.
///
/// A held channel's `true` flags are not sent (the API leaves an omitted flag as it is), nor is the email confirmed;
/// `false` flags are still sent. The hold is recorded with the contact and stays until the contact's row is removed,
/// or until the row says `resubscribe: confirmed` **and** that confirmation is new (the last applied row did not say
/// it): a confirmation covers the opt-outs before it, never a later one.
public enum PersonaClickConsent {
    /// Feed events that withdraw consent.
    public static let optOutEvents: Set<String> = ["unsubscribe", "hard_bounced", "complained", "blacklisted"]

    /// The feed's contact types by channel.
    public static let channelOfContactType = ["email": "email", "sms": "sms", "wpush": "web_push", "mpush": "mobile_push"]

    /// Why a channel is held.
    public enum Reason: Sendable, Hashable {
        /// An opt-out in the change feed since the last apply.
        case event(PersonaClickChange)
        /// Held by an earlier apply (state says so).
        case recorded
        /// What `/subscriptions/check` said (`email_bounced`, or a flag off at the source).
        case check(String)
        /// A flag the last apply sent false would be turned on for a contact the source cannot be asked about (given by
        /// `external_id`, `loyalty_id` or `telegram_id`: the feed and `check` name only emails and phones).
        case unverifiable
    }

    /// Whether the feed and `check` can name the contact.
    public static func isCheckable(_ member: PersonaClickMember) -> Bool { member.identity == "email" || member.identity == "phone" }

    /// The member to plan, and per channel why it is held (or, for a confirmed resubscription, why it was).
    public struct Decision: Sendable, Hashable {
        public var member: PersonaClickMember
        public var held: [(channel: String, reason: Reason)]
        public var resubscribed: [(channel: String, reason: Reason)]

        public static func == (a: Decision, b: Decision) -> Bool {
            a.member == b.member && a.held.map(\.channel) == b.held.map(\.channel) && a.resubscribed.map(\.channel) == b.resubscribed.map(\.channel)
        }
        public func hash(into hasher: inout Hasher) { hasher.combine(member) }
    }

    /// The latest event per channel for each contact (by ``PersonaClickMember/contact``), among `changes` after
    /// `since` (all of them without one; an event whose time cannot be read counts as after).
    public static func latest(_ changes: [PersonaClickChange], after since: Date?) -> [String: [String: PersonaClickChange]] {
        var result: [String: [String: PersonaClickChange]] = [:]
        for change in changes {
            if let since, let date = change.date, date <= since { continue }
            guard let channel = channelOfContactType[change.contactType] else { continue }
            let contact = (change.contactType == "email" ? "email:" : "phone:") + (change.contactType == "email" ? change.contact : normalizedPhone(change.contact))
            if let known = result[contact]?[channel], let old = known.date, let new = change.date, new < old { continue }
            result[contact, default: [:]][channel] = change
        }
        return result
    }

    /// `+` and digits.
    static func normalizedPhone(_ text: String) -> String {
        "+" + text.filter { $0.isASCII && $0.isNumber }
    }

    /// The decision for one contact: `desired` as the files say, `recorded` as last applied (nil: never), `events`
    /// its latest feed event per channel since the last apply, `check` what the source said (with `--refresh`).
    public static func decide(desired: PersonaClickMember, recorded: PersonaClickMember?, events: [String: PersonaClickChange], check: PersonaClickCheck?) -> Decision {
        var member = desired
        member.held = []
        var held: [(String, Reason)] = []
        var resubscribed: [(String, Reason)] = []
        for channel in PersonaClickFlags.channels {
            var reason: Reason?
            if let event = events[channel], optOutEvents.contains(event.event) {
                // An unsubscribe from one campaign type concerns that type's flag; any other opt-out the whole channel.
                // It matters where the files or the last apply turn such a flag on.
                let positions = PersonaClickMember.positions(of: channel)
                let type = event.event == "unsubscribe" ? PersonaClickFlags.types.firstIndex(of: event.campaignType) : nil
                let affected = type.map { [positions.lowerBound + $0] } ?? Array(positions)
                if affected.contains(where: { desired.flags[$0] == true || recorded?.flags[$0] == true }) { reason = .event(event) }
            }
            if reason == nil, recorded?.held.contains(channel) == true { reason = .recorded }
            if reason == nil, let check {
                if channel == "email", check.emailBounced || check.emailBlacklisted || check.emailSuppressed {
                    reason = .check(check.emailBounced ? "email_bounced" : check.emailBlacklisted ? "email_blacklisted" : "email_suppressed")
                } else if let recorded {
                    for position in PersonaClickMember.positions(of: channel) where desired.flags[position] == true && recorded.flags[position] == true {
                        let name = PersonaClickFlags.names[position]
                        if check.flags[name] == false {
                            reason = .check("\(name) is false at the source")
                            break
                        }
                    }
                }
            }
            if reason == nil, !isCheckable(desired), let recorded,
                PersonaClickMember.positions(of: channel).contains(where: { desired.flags[$0] == true && recorded.flags[$0] == false }) {
                reason = .unverifiable
            }
            guard let reason else { continue }
            // A new confirmation (not in the row last applied) clears what came before it.
            if desired.resubscribe, recorded?.resubscribe != true {
                resubscribed.append((channel, reason))
                continue
            }
            held.append((channel, reason))
            member.held.append(channel)
            for position in PersonaClickMember.positions(of: channel) where member.flags[position] == true { member.flags[position] = nil }
            if channel == "email" { member.confirm = false }
        }
        return Decision(member: member, held: held, resubscribed: resubscribed)
    }
}
