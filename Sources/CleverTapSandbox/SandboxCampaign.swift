import Foundation
import JSON

/// A campaign the sandbox created.
struct SandboxCampaign: Sendable {
    var id: Int
    var name: String
    var body: JSONValue
    var createdAt: Date
    /// When it starts: creation for `now`, else its `when`.
    var startsAt: Date
    var completesAt: Date
    var stoppedAt: Date?
    var estimates: [(String, Int)]
    /// `YYYYMMDDHHMM` of its start, in the sandbox's zone.
    var scheduledOn: Int

    enum Status: String {
        case pending, running, completed, stopped
    }

    func status(at now: Date) -> Status {
        if stoppedAt != nil { return .stopped }
        if now >= completesAt { return .completed }
        if now >= startsAt { return .running }
        return .pending
    }

    /// Deterministic statistics: sent is the sum of the estimates, clicked a share of it fixed by the id.
    var stats: (sent: Int, clicked: Int) {
        let sent = estimates.reduce(0) { $0 + $1.1 }
        return (sent, sent * (5 + id % 20) / 100)
    }

    /// The estimated reach per device: `100 + fnv1a64(compact JSON of where + ":" + device) % 9901`.
    static func estimates(where clause: JSONValue, devices: [String]) -> [(String, Int)] {
        let text = clause.compactText
        return devices.map { device in
            (device, 100 + Int(fnv1a64(text + ":" + device) % 9901))
        }
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
