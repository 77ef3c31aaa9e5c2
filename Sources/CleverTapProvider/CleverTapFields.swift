import CampaignDeploy
import CampaignEngine
import CampaignModel
import Foundation
import JSON

/// What a reviewer sees of a CleverTap request, field by field, named as the campaign language names them
/// (`content.title`, `audience.event`, `schedule`) and shown as people write them: strings quoted, dates
/// `2027-01-01`, times with the account's zone (`2027-03-20 09:00 Europe/Berlin`, not the API's `20270320 09:00`).
///
/// State keeps these per record (``StateRecord/fields``) so that a later plan can say what changed. They are kept
/// small: an identity send's recipients are not fields (state keeps them apart, as delivered members), a value
/// longer than ``valueLimit`` bytes is kept as its start, its length and a digest, and a campaign keeps at most
/// ``countLimit`` fields (the rest as one digest). Made only when asked for (a changed or applied campaign).
public enum CleverTapFields {
    /// Longest display value kept whole, in UTF-8 bytes (a push title or body is far shorter; an email's HTML body
    /// may not be).
    public static let valueLimit = 2_000
    /// Most fields kept for one campaign; further ones are summed up in one last field, ``morePath``.
    public static let countLimit = 100
    /// The path of the field that stands for fields beyond ``countLimit``.
    public static let morePath = "…"

    /// The reviewable fields of `campaign`'s request, in the language's order; times in `timezone` (the project's).
    public static func fields(of campaign: Campaign, timezone: String) -> [ResourceField] {
        var fields: [ResourceField] = []
        func add(_ path: String, _ value: String) { fields.append(ResourceField(path, bounded(value))) }
        switch campaign.delivery {
        case .segment(let segment):
            // Only segment campaigns send a name (an identity send's name is the record's, not the request's).
            add("name", quoted(campaign.name))
            add("devices", "[" + segment.devices.map(\.rawValue).joined(separator: ", ") + "]")
            switch segment.audience {
            case .all:
                add("audience.all", "true")
            case .filtered(let filter):
                if let event = filter.event { add("audience.event", quoted(event)) }
                if let dates = filter.dates {
                    add("audience.from", dates.lowerBound.description)
                    add("audience.to", dates.upperBound.description)
                }
                for field in filter.profile { add("audience.profile." + segmentName(field.key), shown(field.value)) }
            }
        case .identity(let identity):
            add("channel", identity.channel.rawValue)
        }
        switch campaign.content {
        case .push(let title, let body):
            add("content.title", quoted(title))
            add("content.body", quoted(body))
        case .email(let subject, let body):
            add("content.subject", quoted(subject))
            add("content.body", quoted(body))
        }
        for (platform, entries) in campaign.platformSpecific.platforms {
            for entry in entries { add("platform_specific.\(platform.rawValue).\(segmentName(entry.key))", shown(entry.value)) }
        }
        if case .segment(let segment) = campaign.delivery {
            switch segment.schedule {
            case .now: add("schedule", "now")
            case .at(let time): add("schedule", shown(time, timezone: timezone))
            }
        }
        if let tagGroup = campaign.options.tagGroup { add("options.tag_group", quoted(tagGroup)) }
        if let caps = campaign.options.respectFrequencyCaps { add("options.respect_frequency_caps", caps ? "true" : "false") }
        guard fields.count > countLimit else { return fields }
        let rest = fields[(countLimit - 1)...]
        let digest = ContentHash.sha256(Array(rest.map { $0.path + "\u{1F}" + $0.value }.joined(separator: "\u{1E}").utf8))
        return Array(fields[..<(countLimit - 1)]) + [ResourceField(morePath, "\(rest.count) more fields, sha256 \(digest.prefix(16))")]
    }

    /// `2027-03-20 09:00 Europe/Berlin`: a wall-clock time as people write it, with the zone it is read in.
    public static func shown(_ time: LocalDateTime, timezone: String) -> String {
        "\(time) \(timezone)"
    }

    /// `instant` as a wall-clock time in `zone`, named `timezone` (`2027-03-20 09:00 Europe/Berlin`).
    public static func shown(_ instant: Date, zone: TimeZone, timezone: String) -> String {
        let local = Int((instant.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: instant))).rounded(.down))
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let seconds = local - days * 86_400
        let (year, month, day) = civil(days)
        guard let date = CalendarDate(year: year, month: month, day: day), let time = LocalDateTime(date: date, hour: seconds / 3_600, minute: seconds % 3_600 / 60)
        else { return instant.formatted(.iso8601) }
        return shown(time, timezone: timezone)
    }

    /// The proleptic Gregorian date `days` days after 1970-01-01 (H. Hinnant's `civil_from_days`).
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// A string as JSON writes it: quoted, control characters escaped (a display value never spans lines).
    static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONWriter.appendQuoted(text, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A scalar as the campaign file gives it: strings quoted, numbers and booleans as they are.
    static func shown(_ value: ScalarValue) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .number(let number): number
        case .bool(let flag): flag ? "true" : "false"
        }
    }

    /// A key written by the user as one part of a path: as it is, or quoted when it could be read as several parts or
    /// as the end of the path (`.`, `:`, quotes, control characters, outer spaces, empty).
    static func segmentName(_ key: String) -> String {
        let plain = !key.isEmpty && key.first != " " && key.last != " "
            && !key.unicodeScalars.contains { $0 == "." || $0 == ":" || $0 == "\"" || $0.value < 0x20 || $0.value == 0x7F }
        return plain ? key : quoted(key)
    }

    /// `value`, or — beyond ``valueLimit`` bytes — its start, its length and a digest of the whole, so that a change
    /// anywhere in it still shows as a change.
    static func bounded(_ value: String) -> String {
        let size = value.utf8.count
        guard size > valueLimit else { return value }
        // Whole characters, up to a little below the limit (the note after it takes the rest).
        var end = value.startIndex
        var used = 0
        while end < value.endIndex {
            let next = value.index(after: end)
            let length = value.utf8.distance(from: end, to: next)
            if used + length > valueLimit - 100 { break }
            used += length
            end = next
        }
        let digest = ContentHash.sha256(Array(value.utf8)).prefix(16)
        return "\(value[..<end])… (\(size) bytes, sha256 \(digest))"
    }
}
