/// When a segment campaign goes out.
public enum Schedule: Sendable, Hashable {
    /// As soon as it is created.
    case now
    /// At a wall-clock time in the account's time zone.
    case at(LocalDateTime)
    /// A push's delivery plan: several times, the user's time zone, do-not-disturb handling, a cutoff.
    case delivery(DeliverySchedule)
}

/// A calendar date (proleptic Gregorian), valid by construction through ``CalendarDate/init(year:month:day:)``.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A date, or nil if no such day exists.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CalendarDate.days(inMonth: month, year: year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Days in `month` of `year`.
    public static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }
}

/// A date and a time to the minute, without a time zone (read in the account's zone).
public struct LocalDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let date: CalendarDate
    public let hour: Int
    public let minute: Int

    /// A wall-clock time, or nil if the hour or minute is out of range.
    public init?(date: CalendarDate, hour: Int, minute: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        self.date = date
        self.hour = hour
        self.minute = minute
    }

    /// `YYYY-MM-DD HH:MM`.
    public var description: String { "\(date) \(pad(hour, 2)):\(pad(minute, 2))" }

    public static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        (lhs.date, lhs.hour, lhs.minute) < (rhs.date, rhs.hour, rhs.minute)
    }
}

func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// A push's delivery plan (`schedule:` as a mapping): one or more send times, optionally in each user's time zone,
/// with what happens to users whose time has passed, during do-not-disturb hours, and after a cutoff.
public struct DeliverySchedule: Sendable, Hashable {
    /// Send times, sorted, without duplicates: wall clocks in the account's time zone, or in each user's zone.
    public var times: [LocalDateTime]
    /// Deliver at each user's local wall clock (profile `Tz`) rather than the account's.
    public var inUserTimeZone: Bool
    /// In the user's time zone: deliver the next day to users whose time has already passed (true) or drop them
    /// (false); nil: the API's default.
    public var nextDayWhenPassed: Bool?
    /// What happens to messages in a user's do-not-disturb hours.
    public var doNotDisturb: DoNotDisturb?
    /// The time of day after which delivery stops.
    public var cutoff: TimeOfDay?

    /// A plan of `times` (sorted, without duplicates: the language checks both).
    public init(times: [LocalDateTime], inUserTimeZone: Bool = false, nextDayWhenPassed: Bool? = nil, doNotDisturb: DoNotDisturb? = nil, cutoff: TimeOfDay? = nil) {
        self.times = times
        self.inUserTimeZone = inUserTimeZone
        self.nextDayWhenPassed = nextDayWhenPassed
        self.doNotDisturb = doNotDisturb
        self.cutoff = cutoff
    }
}

/// Do-not-disturb handling: hold the message until the hours end, or drop it.
public enum DoNotDisturb: String, Sendable, Hashable, CaseIterable {
    case delay
    case discard
}

/// A time of day, to the minute.
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let hour: Int
    public let minute: Int

    /// A time of day, or nil if the hour or minute is out of range.
    public init?(hour: Int, minute: Int) {
        guard (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        self.hour = hour
        self.minute = minute
    }

    /// `HH:MM`.
    public var description: String { "\(pad(hour, 2)):\(pad(minute, 2))" }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { (lhs.hour, lhs.minute) < (rhs.hour, rhs.minute) }
}
