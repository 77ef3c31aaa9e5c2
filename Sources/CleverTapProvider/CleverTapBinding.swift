import CampaignDeploy
import CampaignEngine
import CampaignLanguage
import CampaignModel
import CleverTapCompiler
import Foundation
import JSON
import Parallel

/// Binds validated campaigns to the provider-neutral engine for CleverTap: segment campaigns are scheduled
/// campaigns, identity sends are sends.
public enum CleverTapBinding {
    /// Hex sha256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String { ContentHash.sha256(bytes) }

    /// The engine's view of `campaigns` in the project `project` (its identity) whose account time zone is
    /// `timezone`; `relativeFile` gives a campaign's file relative to the project's root.
    public static func desired(
        _ campaigns: [Campaign], timezone: String, project: String = ".", relativeFile: @escaping @Sendable (String) -> String = { $0 }
    ) -> [DesiredResource] {
        let zone = TimeZone(identifier: timezone) ?? TimeZone(secondsFromGMT: 0) ?? .current
        // One serialization buffer per worker's chunk, reused for every campaign's hash.
        return campaigns.parallelMap(sliceState: { [UInt8]() }) { buffer, campaign in
            desired(campaign, zone: zone, timezone: timezone, buffer: &buffer, project: project, file: relativeFile(campaign.origin.file))
        }
    }

    /// Hex sha256 of the compact JSON text that `write` produces, written into `buffer` (reused between calls).
    static func compactHash(buffer: inout [UInt8], _ write: (inout JSONTextEmitter) -> Void) -> String {
        buffer.removeAll(keepingCapacity: true)
        JSONWriter(indent: nil).append(into: &buffer, write)
        return sha256(buffer)
    }

    /// The zone where a wall clock comes first (UTC+14, Line Islands): a send time in each user's time zone starts there.
    static let earliestZone = TimeZone(secondsFromGMT: 14 * 3_600) ?? TimeZone(secondsFromGMT: 0) ?? .current

    /// The instant of a wall-clock time in `zone` (the offset is settled in two steps, which handles DST edges).
    static func instant(_ time: LocalDateTime, in zone: TimeZone) -> Date {
        let local = Double(ScheduleParser.daysSinceEpoch(time.date) * 86_400 + time.hour * 3_600 + time.minute * 60)
        let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: local))
        let second = zone.secondsFromGMT(for: Date(timeIntervalSince1970: local - Double(first)))
        return Date(timeIntervalSince1970: local - Double(second))
    }

    static func desired(_ campaign: Campaign, zone: TimeZone, timezone: String, buffer: inout [UInt8], project: String, file: String) -> DesiredResource {
        switch campaign.delivery {
        case .segment(let segment):
            // Only the hash is needed to plan an unchanged campaign: it is taken from the text written directly, and
            // the request tree is built only when asked for (a create or replace).
            let hash = compactHash(buffer: &buffer) { CleverTapCompiler.writeCreateBody(campaign, segment, into: &$0) }
            var when = "now"
            var startsAt: Date?
            var date: Int?
            switch segment.schedule {
            case .now: break
            case .at(let time):
                // Shown to people (plans, state): with the zone, as written; the request says `time.apiValue`.
                when = CleverTapFields.shown(time, timezone: timezone)
                date = time.date.yyyymmdd
                startsAt = instant(time, in: zone)
            case .delivery(let delivery):
                // The first send time. In each user's time zone, delivery starts where that wall clock comes first
                // (UTC+14): the earliest instant the campaign may have started, which is what plan must guard.
                if let first = delivery.times.first {
                    when = CleverTapFields.shown(first, timezone: delivery.inUserTimeZone ? CleverTapFields.userZone : timezone)
                        + (delivery.times.count > 1 ? " (+\(delivery.times.count - 1) more)" : "")
                    date = first.date.yyyymmdd
                    startsAt = delivery.inUserTimeZone ? instant(first, in: earliestZone) : instant(first, in: zone)
                }
            }
            let day = date
            return DesiredResource(
                key: campaign.key, name: campaign.name, file: file, project: project, provider: CleverTapRules.name, kind: CleverTapRules.scheduled,
                hash: hash, startsAt: startsAt, schedule: when, stopped: segment.stopped,
                facts: { day.map { [Fact("scheduled_date", String($0))] } ?? [] },
                fields: { CleverTapFields.fields(of: campaign, timezone: timezone) },
                showTime: { CleverTapFields.shown($0, zone: zone, timezone: timezone) }
            ) { _ in
                let compiled = CleverTapCompiler.compile(campaign)[0]
                return [ProviderRequest(method: compiled.method, path: compiled.path, body: compiled.body)]
            }
        case .identity(let identity):
            // Everything but the recipients identifies the send: the body without `to`, and the endpoint.
            let path = CleverTapCompiler.sendPath(identity.channel)
            let contentHash = compactHash(buffer: &buffer) { emitter in
                emitter.bytes += path.utf8
                CleverTapCompiler.writeSendBodyWithoutRecipients(campaign, into: &emitter)
            }
            var lists: [String: [String]] = [:]
            for kind in RecipientKind.allCases where !identity.recipients[kind].isEmpty { lists[kind.rawValue] = identity.recipients[kind] }
            let all = lists
            return DesiredResource(
                key: campaign.key, name: campaign.name, file: file, project: project, provider: CleverTapRules.name, kind: CleverTapRules.send,
                hash: contentHash, members: lists,
                fields: { CleverTapFields.fields(of: campaign, timezone: timezone) }
            ) { subset in
                requests(for: campaign, identity: identity, recipients: subset ?? all)
            }
        }
    }

    /// The send requests delivering `campaign` to exactly `subset`, in batches of at most 1000.
    static func requests(for campaign: Campaign, identity: IdentityDelivery, recipients subset: [String: [String]]) -> [ProviderRequest] {
        var recipients = Recipients()
        for kind in RecipientKind.allCases { recipients[kind] = subset[kind.rawValue] ?? [] }
        var narrowed = campaign
        narrowed.delivery = .identity(IdentityDelivery(channel: identity.channel, recipients: recipients))
        let compiled = CleverTapCompiler.compile(narrowed)
        let batches = CleverTapCompiler.batchRecipients(recipients)
        return zip(compiled, batches).map { request, batch in
            var lists: [String: [String]] = [:]
            for (kind, ids) in batch { lists[kind.rawValue, default: []] += ids }
            return ProviderRequest(method: request.method, path: request.path, body: request.body, batch: request.batch, recipients: lists)
        }
    }
}
