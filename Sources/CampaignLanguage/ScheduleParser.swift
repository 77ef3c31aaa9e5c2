import CampaignModel
import Foundation
import Synchronization

/// Reads dates and schedules as the language writes them.
public enum ScheduleParser {
    /// Why a schedule could not be read.
    public enum Failure: Error, Equatable {
        /// Not one of the accepted forms.
        case form
        /// The form is right but no such date or time exists.
        case range
        /// Seconds other than zero: CleverTap schedules to the minute.
        case seconds
        /// The account time zone is unknown.
        case timezone
    }

    /// `YYYY-MM-DD`, or nil.
    public static func date(_ text: String) -> CalendarDate? {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let y = digits(b, 0, 4), let m = digits(b, 5, 2), let d = digits(b, 8, 2)
        else { return nil }
        return CalendarDate(year: y, month: m, day: d)
    }

    /// Whether `text` has the shape `YYYY-MM-DD` (whether or not the day exists).
    public static func looksLikeDate(_ text: String) -> Bool {
        let b = Array(text.utf8)
        return b.count == 10 && b[4] == UInt8(ascii: "-") && b[7] == UInt8(ascii: "-") && digits(b, 0, 4) != nil
            && digits(b, 5, 2) != nil && digits(b, 8, 2) != nil
    }

    /// `now`, `YYYY-MM-DD HH:MM` (wall clock in `timezone`) or ISO 8601 with an offset (`2026-05-01T09:00:00+02:00`,
    /// `…Z`), converted to the wall clock of `timezone`.
    public static func schedule(_ text: String, timezone: String) -> Result<Schedule, Failure> {
        if text == "now" { return .success(.now) }
        let b = Array(text.utf8)
        guard b.count >= 16, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[13] == UInt8(ascii: ":"),
            let y = digits(b, 0, 4), let mo = digits(b, 5, 2), let d = digits(b, 8, 2), let h = digits(b, 11, 2),
            let mi = digits(b, 14, 2)
        else { return .failure(.form) }
        if b[10] == UInt8(ascii: " ") {
            guard b.count == 16 else { return .failure(.form) }
            guard let date = CalendarDate(year: y, month: mo, day: d), let local = LocalDateTime(date: date, hour: h, minute: mi)
            else { return .failure(.range) }
            return .success(.at(local))
        }
        guard b[10] == UInt8(ascii: "T") else { return .failure(.form) }
        var index = 16
        var seconds = 0
        if index < b.count, b[index] == UInt8(ascii: ":") {
            guard let s = digits(b, index + 1, 2) else { return .failure(.form) }
            seconds = s
            index += 3
            if index < b.count, b[index] == UInt8(ascii: ".") {
                index += 1
                let start = index
                while index < b.count, b[index] >= 48, b[index] <= 57 {
                    if b[index] != UInt8(ascii: "0") { seconds = max(seconds, 1) }
                    index += 1
                }
                if index == start { return .failure(.form) }
            }
        }
        guard index < b.count else { return .failure(.form) }  // an offset is required
        var offsetMinutes = 0
        if b[index] == UInt8(ascii: "Z") {
            guard index + 1 == b.count else { return .failure(.form) }
        } else if b[index] == UInt8(ascii: "+") || b[index] == UInt8(ascii: "-") {
            let sign = b[index] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = digits(b, index + 1, 2) else { return .failure(.form) }
            var om = 0
            if index + 3 == b.count {
                om = 0
            } else if index + 6 == b.count, b[index + 3] == UInt8(ascii: ":"), let m = digits(b, index + 4, 2) {
                om = m
            } else if index + 5 == b.count, let m = digits(b, index + 3, 2) {
                om = m
            } else {
                return .failure(.form)
            }
            guard oh <= 23, om <= 59 else { return .failure(.range) }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return .failure(.form)
        }
        guard let date = CalendarDate(year: y, month: mo, day: d), LocalDateTime(date: date, hour: h, minute: mi) != nil,
            seconds <= 59
        else { return .failure(.range) }
        if seconds != 0 { return .failure(.seconds) }
        guard let zone = TimeZone(identifier: timezone) else { return .failure(.timezone) }
        // The instant, then its wall clock in the account's zone.
        let utcMinutes = daysSinceEpoch(date) * 1440 + h * 60 + mi - offsetMinutes
        let instant = Date(timeIntervalSince1970: TimeInterval(utcMinutes) * 60)
        let zoneMinutes = utcMinutes + zone.secondsFromGMT(for: instant) / 60
        return civil(fromMinutes: zoneMinutes).map { .success(.at($0)) } ?? .failure(.range)
    }

    /// How a wall-clock time reads in a time zone around a daylight-saving change.
    public enum WallClockReading: Equatable, Sendable {
        /// The time happens exactly once.
        case once
        /// The time does not exist (the clocks skip it). `instant` is the instant plan and apply take for it.
        case skipped(instant: Date)
        /// The time happens twice (the clocks go back). `instant` is the one plan and apply take; `isLater` says
        /// whether it is the later of the two.
        case repeated(instant: Date, isLater: Bool)
    }

    /// Whether `time` happens once, never or twice in `zone`, with the instant taken for it. The instant is settled
    /// exactly as the deploy binding does (`CleverTapBinding.instant`: the zone's offset at the wall clock read as
    /// UTC, then the offset at the instant that gives), so the warning names the instant plan and apply use.
    /// Time zones by name, and per zone the days on which the offset changes, learned once: the daylight-saving check
    /// runs for every scheduled campaign, and each ICU look-up costs more than the rest of reading its schedule.
    private static let known = Mutex<(zones: [String: TimeZone], changing: [String: [Int: Bool]])>(([:], [:]))

    /// Whether the UTC offset of `zoneName` changes anywhere near `date` (from 15 hours before its start to 15 hours
    /// after its end, which covers every zone's wall clock of that day); false for an unknown zone. Only such a day can
    /// have a wall-clock time that is skipped or repeated.
    public static func offsetMayChange(on date: CalendarDate, in zoneName: String) -> Bool {
        let day = daysSinceEpoch(date)
        if let cached = known.withLock({ $0.changing[zoneName]?[day] }) { return cached }
        let zone = known.withLock { $0.zones[zoneName] } ?? TimeZone(identifier: zoneName)
        guard let zone else { return false }
        let start = Date(timeIntervalSince1970: Double(day * 86_400 - 15 * 3_600))
        let end = Date(timeIntervalSince1970: Double((day + 1) * 86_400 + 15 * 3_600))
        let changes = zone.secondsFromGMT(for: start) != zone.secondsFromGMT(for: end)
        known.withLock {
            $0.zones[zoneName] = zone
            $0.changing[zoneName, default: [:]][day] = changes
        }
        return changes
    }

    public static func reading(_ time: LocalDateTime, in zone: TimeZone) -> WallClockReading {
        let local = daysSinceEpoch(time.date) * 86_400 + time.hour * 3_600 + time.minute * 60
        func offset(_ seconds: Int) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))) }
        // Most times are far from any change: the same offset two days either side (and at the time) settles it.
        let around = [offset(local - 172_800), offset(local), offset(local + 172_800)]
        if around[0] == around[1], around[1] == around[2] { return .once }
        let first = offset(local)
        let used = local - offset(local - first)
        // Every instant showing this wall clock: for each offset in force nearby, the instant it implies, if that
        // instant really has that offset.
        var offsets = Set(around)
        for hours in -48...48 { offsets.insert(offset(local + hours * 3_600)) }
        let instants = offsets.map { local - $0 }.filter { offset($0) == local - $0 }.sorted()
        if instants.isEmpty { return .skipped(instant: Date(timeIntervalSince1970: Double(used))) }
        if instants.count > 1 {
            return .repeated(instant: Date(timeIntervalSince1970: Double(used)), isLater: used == instants.last)
        }
        return .once
    }

    /// The wall clock of `instant` in `zone`, and the zone's offset then in seconds.
    public static func wallClock(of instant: Date, in zone: TimeZone) -> (time: LocalDateTime?, offsetSeconds: Int) {
        let offset = zone.secondsFromGMT(for: instant)
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + offset
        let minutes = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
        return (civil(fromMinutes: minutes), offset)
    }

    private static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= b.count else { return nil }
        var value = 0
        for i in start..<(start + count) {
            guard b[i] >= 48, b[i] <= 57 else { return nil }
            value = value * 10 + Int(b[i] - 48)
        }
        return value
    }

    /// Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    public static func daysSinceEpoch(_ date: CalendarDate) -> Int {
        let y = date.month <= 2 ? date.year - 1 : date.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (date.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + date.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The wall clock `minutes` after 1970-01-01 00:00 (civil_from_days).
    static func civil(fromMinutes minutes: Int) -> LocalDateTime? {
        let days = minutes >= 0 ? minutes / 1440 : (minutes - 1439) / 1440
        let minuteOfDay = minutes - days * 1440
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        guard let date = CalendarDate(year: year, month: month, day: day) else { return nil }
        return LocalDateTime(date: date, hour: minuteOfDay / 60, minute: minuteOfDay % 60)
    }
}
