import Foundation
import JSON

/// One item of the change feed (`/subscriptions/changes`).
public struct PersonaClickChange: Sendable, Hashable {
    /// The email or phone the change is about (an email lower-cased).
    public var contact: String
    /// `email`, `sms`, `wpush` or `mpush`.
    public var contactType: String
    /// `subscribe`, `unsubscribe`, `hard_bounced`, `complained` or `blacklisted`.
    public var event: String
    /// Where it happened: `unsubscribe_page`, `api`, `popup`, `crm`…
    public var channel: String
    /// `bulk`, `chain`, `transactional` or empty.
    public var campaignType: String
    /// As the feed gives it (`YYYY-MM-DDThh:mm:ss.SSS` or `YYYY-MM-DD HH:MM:SS`).
    public var datetime: String
    /// The same instant (read as UTC), nil when it cannot be read.
    public var date: Date?

    public init(contact: String, contactType: String, event: String, channel: String, campaignType: String = "", datetime: String) {
        self.contact = contactType == "email" ? contact.lowercased() : contact
        self.contactType = contactType
        self.event = event
        self.channel = channel
        self.campaignType = campaignType
        self.datetime = datetime
        self.date = Self.parse(datetime)
    }

    /// An item of the feed; nil when it lacks a contact, an event or a time.
    public init?(json item: JSONValue) {
        guard let contact = item["contact"]?.stringValue, let event = item["event"]?.stringValue, let datetime = item["datetime"]?.stringValue else { return nil }
        self.init(contact: contact, contactType: item["contact_type"]?.stringValue ?? "email", event: event, channel: item["channel"]?.stringValue ?? "",
                  campaignType: item["campaign_type"]?.stringValue ?? "", datetime: datetime)
    }

    /// The items of a page of the feed read straight from its text: a top-level array, or the array under `changes`,
    /// `payload` or `payload.changes`. Nil when the text has another shape (an error, say): the caller reads it as a
    /// tree then. Items without a contact, an event or a time are left out.
    public static func page(_ bytes: [UInt8]) -> [PersonaClickChange]? {
        var reader = JSONReader(bytes)
        do throws(JSONReader.Failure) {
            var found: [PersonaClickChange]?
            switch try reader.peek() {
            case .array:
                found = try items(&reader)
            case .object:
                try reader.beginObject()
                while let key = try reader.nextKey() {
                    if key == "status", try reader.stringIfAny() == "error" { return nil }
                    if key == "status" { continue }
                    guard found == nil, key == "changes" || key == "payload" else {
                        try reader.skipValue()
                        continue
                    }
                    switch try reader.peek() {
                    case .array:
                        found = try items(&reader)
                    case .object where key == "payload":
                        try reader.beginObject()
                        while let inner = try reader.nextKey() {
                            if inner == "changes", found == nil, try reader.peek() == .array { found = try items(&reader) } else { try reader.skipValue() }
                        }
                    default:
                        try reader.skipValue()
                    }
                }
            default:
                return nil
            }
            try reader.finish()
            return found
        } catch {
            return nil
        }
    }

    /// The items of the array about to be read.
    static func items(_ reader: inout JSONReader) throws(JSONReader.Failure) -> [PersonaClickChange] {
        var result: [PersonaClickChange] = []
        result.reserveCapacity(20_000)
        try reader.beginArray()
        while try reader.nextItem() {
            guard try reader.peek() == .object else {
                try reader.skipValue()
                continue
            }
            try reader.beginObject()
            var contact: String?, type: String?, event: String?, channel: String?, campaign: String?, datetime: String?
            while let key = try reader.nextKey() {
                switch key {
                case "contact": contact = try reader.stringIfAny()
                case "contact_type": type = try reader.stringIfAny()
                case "event": event = try reader.stringIfAny()
                case "channel": channel = try reader.stringIfAny()
                case "campaign_type": campaign = try reader.stringIfAny()
                case "datetime": datetime = try reader.stringIfAny()
                default: try reader.skipValue()
                }
            }
            guard let contact, let event, let datetime else { continue }
            result.append(PersonaClickChange(contact: contact, contactType: type ?? "email", event: event, channel: channel ?? "", campaignType: campaign ?? "", datetime: datetime))
        }
        return result
    }

    /// `YYYY-MM-DDThh:mm:ss(.SSS)` or `YYYY-MM-DD HH:MM:SS`, read as UTC; nil when not one of them.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54 || bytes[10] == 0x20, bytes[13] == 0x3A, bytes[16] == 0x3A,
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13), let minute = number(14..<16),
            let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var fraction = 0.0
        if bytes.count > 20, bytes[19] == 0x2E {
            var scale = 0.1
            for byte in bytes[20...] where byte >= 0x30 && byte <= 0x39 {
                fraction += Double(byte - 0x30) * scale
                scale /= 10
            }
        }
        // Days since 1970-01-01 (civil calendar).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second) + fraction)
    }
}

/// What `/subscriptions/check` says of a contact.
public struct PersonaClickCheck: Sendable, Hashable {
    public var exists: Bool
    /// The 12 flags by name, as the source has them (absent: not said).
    public var flags: [String: Bool]
    public var emailConfirmed: Bool
    public var emailBounced: Bool
    public var emailSuppressed: Bool
    public var emailBlacklisted: Bool

    public init(exists: Bool, flags: [String: Bool], emailConfirmed: Bool = false, emailBounced: Bool = false, emailSuppressed: Bool = false, emailBlacklisted: Bool = false) {
        self.exists = exists
        self.flags = flags
        self.emailConfirmed = emailConfirmed
        self.emailBounced = emailBounced
        self.emailSuppressed = emailSuppressed
        self.emailBlacklisted = emailBlacklisted
    }
}

extension JSONValue {
    /// A boolean given as JSON `true`/`false` or as the strings `"true"`/`"false"` (form-style answers).
    var looseBool: Bool? {
        if let value = boolValue { return value }
        switch stringValue?.lowercased() {
        case "true"?, "1"?: return true
        case "false"?, "0"?: return false
        default: return nil
        }
    }
}
