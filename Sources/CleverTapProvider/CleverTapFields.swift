import CampaignDeploy
import CampaignEngine
import CampaignModel
import CleverTapCompiler
import Foundation
import JSON

/// What a reviewer sees of a CleverTap request, field by field: the body the content hash is taken of (a segment
/// campaign's create body; an identity send's body without its recipients, and its channel), flattened to paths of
/// its JSON keys as the plan's request blocks show them (`content.title`, `where.event_name`, `when`), with values
/// shown as people write them: strings quoted, dates `2027-01-01`, times with the account's zone
/// (`2027-03-20 09:00 Europe/Berlin`, not the API's `20270320 09:00`).
///
/// State keeps these per record (``StateRecord/fields``) so that a later plan can say what changed; since they are
/// the hashed body itself, a changed hash always shows as changed fields. They are kept small: an identity send's
/// recipients are not fields (state keeps them apart, as delivered members), a value longer than ``valueLimit``
/// bytes is kept as its start, its length and a digest, and a campaign keeps at most ``countLimit`` fields (the rest
/// as one digest). Made only when asked for (a changed or applied campaign).
public enum CleverTapFields {
    /// Longest display value kept whole, in UTF-8 bytes (a push title or body is far shorter; an email's HTML body
    /// may not be).
    public static let valueLimit = 2_000
    /// Most fields kept for one campaign; further ones are summed up in one last field, ``morePath``.
    public static let countLimit = 100
    /// The path of the field that stands for fields beyond ``countLimit``.
    public static let morePath = "…"
    /// The zone of a delivery plan's times sent in each user's time zone, as shown.
    public static let userZone = "in each user's time zone"

    /// The reviewable fields of `campaign`'s request, in the body's order; times in `timezone` (the project's).
    public static func fields(of campaign: Campaign, timezone: String) -> [ResourceField] {
        var flattener = Flattener(timezone: timezone)
        switch campaign.delivery {
        case .segment(let segment):
            flattener.flatten(CleverTapCompiler.createBody(campaign, segment), path: "")
        case .identity(let identity):
            flattener.add("channel", identity.channel.rawValue)
            var text: [UInt8] = []
            JSONWriter(indent: nil).append(into: &text) { CleverTapCompiler.writeSendBodyWithoutRecipients(campaign, into: &$0) }
            if let body = try? JSONParser().parse(text) { flattener.flatten(body, path: "") }
        }
        let fields = flattener.fields
        guard fields.count > countLimit else { return fields }
        let rest = fields[(countLimit - 1)...]
        let digest = ContentHash.sha256(Array(rest.map { $0.path + "\u{1F}" + $0.value }.joined(separator: "\u{1E}").utf8))
        return Array(fields[..<(countLimit - 1)]) + [ResourceField(morePath, "\(rest.count) more fields, sha256 \(digest.prefix(16))")]
    }

    /// Flattens a body into fields.
    struct Flattener {
        let timezone: String
        var fields: [ResourceField] = []
        /// The zone the delivery plan's times are read in (`when.delivery_timezone`).
        var deliveryZone: String?

        init(timezone: String) { self.timezone = timezone }

        mutating func add(_ path: String, _ value: String) { fields.append(ResourceField(path, bounded(value))) }

        mutating func flatten(_ value: JSONValue, path: String) {
            switch value {
            case .object(let members):
                if members.isEmpty && !path.isEmpty { add(path, "{}") }
                if path == "when" { deliveryZone = members.first { $0.0 == "delivery_timezone" }?.1.stringValue == "user" ? userZone : timezone }
                for (key, member) in members { flatten(member, path: path.isEmpty ? segmentName(key) : path + "." + segmentName(key)) }
            case .array(let items):
                if items.allSatisfy({ $0.objectValue == nil && $0.arrayValue == nil }) {
                    add(path, "[" + items.map { shown($0, path: path) }.joined(separator: ", ") + "]")
                    return
                }
                // A list of objects named by a `Key` (profile conditions): each under its name, when the names are unique.
                let names = items.map { $0["Key"]?.stringValue }
                let unique = names.allSatisfy { $0 != nil } && Set(names.compactMap { $0 }).count == names.count
                for (index, item) in items.enumerated() {
                    if unique, let name = names[index], let members = item.objectValue {
                        let rest = members.filter { $0.0 != "Key" }
                        let at = path + "." + segmentName(name)
                        if rest.count == 1, rest[0].0 == "value" { flatten(rest[0].1, path: at) } else { flatten(.object(rest), path: at) }
                    } else {
                        flatten(item, path: path + "[\(index)]")
                    }
                }
            default:
                add(path, shown(value, path: path))
            }
        }

        /// A scalar as people write it: strings quoted, the API's dates and times as dates and times with the zone.
        func shown(_ value: JSONValue, path: String) -> String {
            switch path {
            case "when":
                if value.stringValue == "now" { return "now" }
                if let text = value.stringValue, let time = CleverTapFields.time(text) { return CleverTapFields.shown(time, timezone: timezone) }
            case "when.delivery_date_time":
                if let text = value.stringValue, let time = CleverTapFields.time(text) { return CleverTapFields.shown(time, timezone: deliveryZone ?? timezone) }
            case "where.from", "where.to":
                if let number = value.intValue, let date = CleverTapFields.date(number) { return date.description }
            case "ttl.value":
                // An absolute expiry is `YYYYMMDDHHMM`; a relative one is minutes.
                if let number = value.intValue, number >= 1_0101_0000, let date = CleverTapFields.date(number / 10_000),
                   let time = LocalDateTime(date: date, hour: number / 100 % 100, minute: number % 100) {
                    return CleverTapFields.shown(time, timezone: timezone)
                }
            default:
                break
            }
            switch value {
            case .string(let text): return quoted(text)
            case .number(let number): return number
            case .bool(let flag): return flag ? "true" : "false"
            case .null: return "null"
            case .array, .object: return JSONWriter(indent: nil).string(value)
            }
        }
    }

    /// The date of the API's `YYYYMMDD`.
    static func date(_ number: Int) -> CalendarDate? { CalendarDate(year: number / 10_000, month: number / 100 % 100, day: number % 100) }

    /// The wall-clock time of the API's `YYYYMMDD HH:MM`.
    static func time(_ text: String) -> LocalDateTime? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let day = Int(parts[0]), let date = date(day) else { return nil }
        let clock = parts[1].split(separator: ":")
        guard clock.count == 2, let hour = Int(clock[0]), let minute = Int(clock[1]) else { return nil }
        return LocalDateTime(date: date, hour: hour, minute: minute)
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
