import Foundation

/// Sandbox time: real time since start, multiplied by the time scale, plus any manual advance.
struct SandboxClock: Sendable {
    let realStart: ContinuousClock.Instant
    let sandboxStart: Date
    let scale: Double
    var advanced: Double = 0

    init(scale: Double, start: Date = Date()) {
        self.realStart = ContinuousClock.now
        self.sandboxStart = start
        self.scale = scale
    }

    /// The current sandbox time.
    var now: Date {
        let elapsed = ContinuousClock.now - realStart
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return sandboxStart.addingTimeInterval(seconds * scale + advanced)
    }

    /// Real seconds that `sandboxSeconds` take.
    func real(_ sandboxSeconds: Double) -> Double { sandboxSeconds / scale }
}

/// Reads and writes the API's wall-clock formats in the sandbox's time zone.
struct WallClock: Sendable {
    let zone: TimeZone

    init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.zone = zone
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    /// `YYYYMMDD HH:MM` in the zone, or nil.
    func date(fromWhen text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 14, b[8] == UInt8(ascii: " "), b[11] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard let y = number(0..<4), let mo = number(4..<6), let d = number(6..<8), let h = number(9..<11), let mi = number(12..<14),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60
        else { return nil }
        let components = DateComponents(year: y, month: mo, day: d, hour: h, minute: mi)
        guard let date = calendar.date(from: components) else { return nil }
        // Reject rolled-over dates such as 20270230.
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == y, back.month == mo, back.day == d else { return nil }
        return date
    }

    /// `YYYYMMDDHHMM` as an integer.
    func stamp(_ date: Date) -> Int {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return (c.year ?? 0) * 100_000_000 + (c.month ?? 0) * 1_000_000 + (c.day ?? 0) * 10_000 + (c.hour ?? 0) * 100 + (c.minute ?? 0)
    }
}
