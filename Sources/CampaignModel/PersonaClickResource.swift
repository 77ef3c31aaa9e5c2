import Diagnostics

/// A validated `provider: personaclick` resource: subscription preferences or suppressions.
public struct PersonaClickResource: Sendable, Hashable {
    /// The resource's kind, as `type:` says.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case subscriptionPreferences = "subscription_preferences"
        case suppressions
    }

    /// What the resource is, with its kind's fields.
    public enum Body: Sendable, Hashable {
        case preferences(PersonaClickPreferences)
        case suppressions(PersonaClickSuppressions)
    }

    public var key: String
    public var name: String
    public var body: Body
    /// The file it is written in, as discovered.
    public var file: String
    /// Where its document starts, and where its key was written (or derived).
    public var document: SourceLocation
    public var keyLocation: SourceLocation

    public init(key: String, name: String, body: Body, file: String, document: SourceLocation, keyLocation: SourceLocation) {
        self.key = key
        self.name = name
        self.body = body
        self.file = file
        self.document = document
        self.keyLocation = keyLocation
    }

    /// The kind of ``body``.
    public var kind: Kind {
        switch body {
        case .preferences: .subscriptionPreferences
        case .suppressions: .suppressions
        }
    }
}

/// PersonaClick's subscription flags, in the API's order: `{email,sms,web_push,mobile_push}_{bulk,chain,transactional}`.
public enum PersonaClickFlags {
    /// The channels, as flag names start.
    public static let channels = ["email", "sms", "web_push", "mobile_push"]
    /// The campaign types, as flag names end.
    public static let types = ["bulk", "chain", "transactional"]
    /// Every flag name, channel by channel (12).
    public static let names: [String] = channels.flatMap { channel in types.map { channel + "_" + $0 } }
    /// The identity columns a contact is given by (exactly one per contact).
    public static let identities = ["email", "phone", "external_id", "loyalty_id", "telegram_id"]
}

/// Contacts' subscription flags kept as the files say (an empty cell: the flag is left as it is).
public struct PersonaClickPreferences: Sendable, Hashable {
    /// One contact's row.
    public struct Contact: Sendable, Hashable {
        /// Which identity (`email`, `phone`, `external_id`, `loyalty_id`, `telegram_id`) and its value (an email
        /// lower-cased, a phone as `+` and digits).
        public var identity: String
        public var value: String
        /// The 12 flags in ``PersonaClickFlags/names`` order; nil: left as it is.
        public var flags: [Bool?]
        /// `email_confirmed: true`: the email is marked confirmed once.
        public var emailConfirmed: Bool
        /// `resubscribe: confirmed`: the person confirmed a resubscription after an opt-out at the source.
        public var resubscribe: Bool

        public init(identity: String, value: String, flags: [Bool?], emailConfirmed: Bool = false, resubscribe: Bool = false) {
            self.identity = identity
            self.value = value
            self.flags = flags
            self.emailConfirmed = emailConfirmed
            self.resubscribe = resubscribe
        }
    }

    /// Contacts in file order, one per identity.
    public var contacts: [Contact]

    public init(contacts: [Contact]) { self.contacts = contacts }
}

/// Emails reported to PersonaClick through its system callback, once each.
public struct PersonaClickSuppressions: Sendable, Hashable {
    /// The callback's events.
    public enum Event: String, Sendable, Hashable, CaseIterable {
        /// Removes the email for good (never for a soft bounce).
        case hardBounced = "hard_bounced"
        case complained
        case blacklisted
        /// Unsubscribed from every campaign.
        case unsubscribed
    }

    /// One email and its event.
    public struct Entry: Sendable, Hashable {
        public var email: String
        public var event: Event

        public init(email: String, event: Event) {
            self.email = email
            self.event = event
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }
}
