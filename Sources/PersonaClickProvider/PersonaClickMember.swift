import CampaignModel

/// A contact as state records it: its identity, the flags last sent, and markers — `email:ana@example.com
/// #11-0--------` and after the flags `c` (email marked confirmed), `r` (a resubscription the person confirmed) and
/// `!` with the channels held back for consent (`!e`: email; `s` SMS, `w` web push, `m` mobile push). A member
/// describes itself, so a changed row is a new member and state alone says what was applied.
public struct PersonaClickMember: Sendable, Hashable {
    public var identity: String
    public var value: String
    /// The 12 flags in ``PersonaClickFlags/names`` order; nil: not sent (left as the source has it).
    public var flags: [Bool?]
    public var confirm: Bool
    public var resubscribe: Bool
    /// Channels (``PersonaClickFlags/channels``) held back for consent, in that order.
    public var held: [String]

    public init(identity: String, value: String, flags: [Bool?], confirm: Bool = false, resubscribe: Bool = false, held: [String] = []) {
        self.identity = identity
        self.value = value
        self.flags = flags
        self.confirm = confirm
        self.resubscribe = resubscribe
        self.held = held
    }

    /// A contact row of the files.
    public init(_ contact: PersonaClickPreferences.Contact) {
        self.init(identity: contact.identity, value: contact.value, flags: contact.flags, confirm: contact.emailConfirmed, resubscribe: contact.resubscribe)
    }

    /// Between the contact and its flags.
    public static let separator = " #"
    static let letters: [String: Character] = ["email": "e", "sms": "s", "web_push": "w", "mobile_push": "m"]

    /// `email:ana@example.com`: what identifies the contact.
    public var contact: String { identity + ":" + value }

    /// The member as state keeps it.
    public var encoded: String {
        var text = contact + Self.separator
        for flag in flags { text.append(flag == nil ? "-" : flag == true ? "1" : "0") }
        if confirm { text.append("c") }
        if resubscribe { text.append("r") }
        if !held.isEmpty {
            text.append("!")
            for channel in held { if let letter = Self.letters[channel] { text.append(letter) } }
        }
        return text
    }

    /// A member as ``encoded`` wrote it; nil for anything else.
    public init?(_ text: String) {
        guard let range = text.range(of: Self.separator, options: .backwards) else { return nil }
        let contact = text[..<range.lowerBound]
        guard let colon = contact.firstIndex(of: ":") else { return nil }
        identity = String(contact[..<colon])
        value = String(contact[contact.index(after: colon)...])
        let tail = Array(text[range.upperBound...])
        guard tail.count >= PersonaClickFlags.names.count else { return nil }
        var flags: [Bool?] = []
        for character in tail.prefix(PersonaClickFlags.names.count) {
            switch character {
            case "1": flags.append(true)
            case "0": flags.append(false)
            case "-": flags.append(nil)
            default: return nil
            }
        }
        self.flags = flags
        confirm = false
        resubscribe = false
        held = []
        var inHeld = false
        for character in tail.dropFirst(PersonaClickFlags.names.count) {
            if inHeld {
                guard let channel = Self.letters.first(where: { $0.value == character })?.key else { return nil }
                held.append(channel)
                continue
            }
            switch character {
            case "c": confirm = true
            case "r": resubscribe = true
            case "!": inHeld = true
            default: return nil
            }
        }
        held = PersonaClickFlags.channels.filter(held.contains)
    }

    /// The contact of a member's text, without decoding its flags.
    public static func contact(of text: String) -> Substring {
        guard let range = text.range(of: separator, options: .backwards) else { return text[...] }
        return text[..<range.lowerBound]
    }

    /// The flags to send, by name (only those given).
    public var sentFlags: [(String, Bool)] {
        zip(PersonaClickFlags.names, flags).compactMap { name, flag in flag.map { (name, $0) } }
    }

    /// The positions of `channel`'s three flags.
    public static func positions(of channel: String) -> Range<Int> {
        let index = PersonaClickFlags.channels.firstIndex(of: channel) ?? 0
        return index * 3..<(index * 3 + 3)
    }

    /// The names of `channel`'s flags this member sets true.
    public func trueFlags(of channel: String) -> [String] {
        Self.positions(of: channel).filter { flags[$0] == true }.map { PersonaClickFlags.names[$0] }
    }
}
