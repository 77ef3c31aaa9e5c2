import CampaignModel
import Diagnostics
import YAMLFrontEnd

/// The language of `provider: personaclick` resources: subscription preferences and suppressions.
enum PersonaClickFields {
    static let provider = "personaclick"
    static let common = ["key", "provider", "name", "type"]
    static let preferences = common + ["file", "contacts", "defaults"]
    static let suppressions = common + ["file", "entries"]
    static let all = Array(Set(preferences + suppressions)).sorted()
    /// A contact's columns (CSV) or keys (inline): one identity, flags, and the two row options.
    static let contact = PersonaClickFlags.identities + PersonaClickFlags.names + ["email_confirmed", "resubscribe"]
    /// A suppression's columns or keys.
    static let entry = ["email", "event", "permanent"]
    /// `project.yaml`'s `personaclick:` and an environment's `personaclick:`.
    static let settings = ["shop_id", "shop_secret_env", "api_url", "concurrency", "rate"]
}

/// Stable codes of the PersonaClick resources' own diagnostics (`docs/LANGUAGE.md`).
public enum PersonaClickDiagnosticCode {
    /// A contact or suppression row: no identity or several, a phone not in international format, a contact or an
    /// email and event listed twice, a flag cell that is not `true`, `false` or empty, `email_confirmed` without an
    /// email, a `resubscribe` other than `confirmed`, an unknown event.
    public static let rows: DiagnosticCode = "C090"
    /// `project.yaml`'s or an environment's `personaclick:` settings are wrong.
    public static let settings: DiagnosticCode = "C091"
    /// A transactional flag set false (warning: the API recommends keeping them true).
    public static let transactionalOff: DiagnosticCode = "C092"
    /// `hard_bounced` without `permanent: true`, or `permanent` on another event.
    public static let permanence: DiagnosticCode = "C093"
}

extension DocumentDecoder {
    /// The PersonaClick resource `document` describes, or nil when any error was found.
    mutating func personaClick(_ document: YAMLDocument) -> PersonaClickResource? {
        let root = document.root
        guard let fields = checker.fields(root, what: "a PersonaClick resource", allowed: PersonaClickFields.all) else { return nil }
        let keyInfo = key(fields, document: document)
        let name = fields["name"].flatMap { checker.string($0, field: "name") }
        if fields["name"] == nil {
            checker.error(CampaignDiagnosticCode.missingField, "resource has no `name`", at: document.location, hint: "add `name: …`; it is shown in plans and must be unique")
        }
        guard let typeNode = fields["type"] else {
            checker.error(CampaignDiagnosticCode.missingField, "a PersonaClick resource needs a `type`", at: document.location,
                          hint: "one of " + PersonaClickResource.Kind.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", "))
            return nil
        }
        guard let kind = checker.choice(typeNode, field: "type", as: PersonaClickResource.Kind.self) else { return nil }
        let allowed = kind == .subscriptionPreferences ? PersonaClickFields.preferences : PersonaClickFields.suppressions
        for entry in fields.entries where !allowed.contains(entry.name) {
            checker.error(CampaignDiagnosticCode.notForType, "`\(entry.name)` is not a field of PersonaClick \(kind.rawValue)", at: entry.key,
                          hint: "\(kind.rawValue) takes " + allowed.filter { !PersonaClickFields.common.contains($0) }.map { "`\($0)`" }.joined(separator: ", "))
        }
        if fields["file"] != nil, let both = fields.keyNode(kind == .subscriptionPreferences ? "contacts" : "entries") {
            checker.error(CampaignDiagnosticCode.invalidValue, "give `file` or `\(kind == .subscriptionPreferences ? "contacts" : "entries")`, not both", at: both)
        }
        let body: PersonaClickResource.Body?
        switch kind {
        case .subscriptionPreferences: body = preferences(fields, document: document).map(PersonaClickResource.Body.preferences)
        case .suppressions: body = suppressions(fields, document: document).map(PersonaClickResource.Body.suppressions)
        }
        guard !checker.hasErrors, let keyInfo, let name, let body else { return nil }
        return PersonaClickResource(key: keyInfo.key, name: name, body: body, file: file, document: document.location, keyLocation: keyInfo.location)
    }

    // MARK: rows, from a CSV or inline

    /// Rows as (column → text) with where each starts; nil after an error. `allowed`: the columns or keys known.
    private mutating func personaClickRows(_ fields: Fields, document: YAMLDocument, inline: String, allowed: [String]) -> [([String: (String, SourceLocation)], SourceLocation)]? {
        if let fileNode = fields["file"] {
            guard let table = cleverPushCSV(fileNode, field: "file"), let header = header(table, required: [], allowed: allowed) else { return nil }
            var rows: [([String: (String, SourceLocation)], SourceLocation)] = []
            rows.reserveCapacity(table.rowCount)
            let columns = header.sorted { $0.value < $1.value }
            for index in 1..<max(1, table.rowCount) {
                let row = Array(table.row(index))
                guard let first = row.first else { continue }
                var values: [String: (String, SourceLocation)] = [:]
                for (name, position) in columns where position < row.count {
                    let text = row[position].text.trimmingWhitespace()
                    if !text.isEmpty { values[name] = (text, SourceLocation(file: table.path, line: row[position].line, column: row[position].column)) }
                }
                if values.isEmpty, row.count <= 1 { continue }  // a blank line
                rows.append((values, SourceLocation(file: table.path, line: first.line, column: first.column)))
            }
            return rows
        }
        guard let node = fields[inline] else {
            checker.error(CampaignDiagnosticCode.missingField, "give a CSV `file` or an inline `\(inline)` list", at: document.location,
                          hint: inline == "contacts" ? "a CSV with an `email` (or `phone`, `external_id`, `loyalty_id`, `telegram_id`) column and flag columns such as `email_bulk`" : "a CSV with `email`, `event` and `permanent` columns")
            return nil
        }
        guard let items = checker.list(node, field: inline, of: "mappings") else { return nil }
        var rows: [([String: (String, SourceLocation)], SourceLocation)] = []
        for item in items {
            guard let entry = checker.fields(item, what: "an item of `\(inline)`", allowed: allowed) else { continue }
            var values: [String: (String, SourceLocation)] = [:]
            for field in entry.entries {
                guard let scalar = field.value.scalar, !field.value.isNull else {
                    if !field.value.isNull { checker.error(CampaignDiagnosticCode.wrongType, "`\(field.name)` must be a single value, not \(Checker.describe(field.value))", at: field.value) }
                    continue
                }
                values[field.name] = (scalar.value, field.value.location)
            }
            rows.append((values, item.location))
        }
        return rows
    }

    private mutating func flag(_ text: String, name: String, at location: SourceLocation) -> Bool? {
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default:
            checker.error(PersonaClickDiagnosticCode.rows, "`\(name)` must be `true`, `false` or empty, not \(Quoting.cell(text))", at: location,
                          hint: "an empty cell leaves the flag as it is")
            return nil
        }
    }

    /// `+` and 8 to 15 digits, the first not 0 (spaces, dashes, dots and brackets dropped); nil when not.
    static func internationalPhone(_ text: String) -> String? {
        var digits = ""
        var plus = false
        for (index, character) in text.enumerated() {
            if index == 0, character == "+" { plus = true; continue }
            if " -.()".contains(character) { continue }
            guard character.isASCII, character.isNumber else { return nil }
            digits.append(character)
        }
        guard plus, digits.count >= 8, digits.count <= 15, digits.first != "0" else { return nil }
        return "+" + digits
    }

    // MARK: preferences

    private mutating func preferences(_ fields: Fields, document: YAMLDocument) -> PersonaClickPreferences? {
        var defaults = [Bool?](repeating: nil, count: PersonaClickFlags.names.count)
        var defaultsAt = document.location
        if let node = fields["defaults"], let mapping = checker.fields(node, what: "`defaults`", allowed: PersonaClickFlags.names) {
            defaultsAt = node.location
            for entry in mapping.entries {
                guard let index = PersonaClickFlags.names.firstIndex(of: entry.name), let value = checker.bool(entry.value, field: "defaults.\(entry.name)") else { continue }
                defaults[index] = value
            }
        }
        guard let rows = personaClickRows(fields, document: document, inline: "contacts", allowed: PersonaClickFields.contact) else { return nil }
        var contacts: [PersonaClickPreferences.Contact] = []
        contacts.reserveCapacity(rows.count)
        var seen: [String: SourceLocation] = [:]
        var transactionalOff: [Int: (count: Int, at: SourceLocation)] = [:]
        for (index, value) in defaults.enumerated() where value == false && PersonaClickFlags.names[index].hasSuffix("_transactional") {
            transactionalOff[index] = (0, defaultsAt)
        }
        for (values, at) in rows {
            let given = PersonaClickFlags.identities.filter { values[$0] != nil }
            guard let identity = given.first, let (raw, rawAt) = values[identity] else {
                checker.error(PersonaClickDiagnosticCode.rows, "the contact has no identity", at: at,
                              hint: "give one of " + PersonaClickFlags.identities.map { "`\($0)`" }.joined(separator: ", "))
                continue
            }
            if given.count > 1, let (_, second) = values[given[1]] {
                checker.error(PersonaClickDiagnosticCode.rows, "the contact is given by `\(identity)` and `\(given[1])`; give one identity per contact", at: second,
                              hint: "PersonaClick identifies a contact by one of them")
                continue
            }
            var value = raw
            switch identity {
            case "email":
                guard RecipientCollector.looksLikeEmail(raw) else {
                    checker.error(CampaignDiagnosticCode.invalidEmail, "\(Quoting.cell(raw)) is not an email address", at: rawAt, hint: "an address looks like `name@example.com`")
                    continue
                }
                value = raw.lowercased()
            case "phone":
                guard let phone = Self.internationalPhone(raw) else {
                    checker.error(PersonaClickDiagnosticCode.rows, "\(Quoting.cell(raw)) is not a phone number in international format", at: rawAt,
                                  hint: "`+`, the country code and the number, e.g. `+49 151 23456789`")
                    continue
                }
                value = phone
            default:
                break
            }
            let identityKey = identity + ":" + value
            if let first = seen[identityKey] {
                checker.error(PersonaClickDiagnosticCode.rows, "the contact \(Quoting.cell(value)) is listed twice", at: rawAt, hint: "one row per contact",
                              related: [RelatedLocation("first listed here", at: first)])
                continue
            }
            seen[identityKey] = rawAt
            var flags = defaults
            var failed = false
            for (position, name) in PersonaClickFlags.names.enumerated() {
                guard let (text, cellAt) = values[name] else { continue }
                guard let parsed = flag(text, name: name, at: cellAt) else {
                    failed = true
                    continue
                }
                flags[position] = parsed
                if !parsed, name.hasSuffix("_transactional") {
                    let current = transactionalOff[position]
                    transactionalOff[position] = ((current?.count ?? 0) + 1, current?.at ?? cellAt)
                }
            }
            var confirmed = false
            if let (text, cellAt) = values["email_confirmed"] {
                if let parsed = flag(text, name: "email_confirmed", at: cellAt) {
                    confirmed = parsed
                    if parsed, identity != "email" {
                        checker.error(PersonaClickDiagnosticCode.rows, "`email_confirmed` needs the contact's `email`", at: cellAt,
                                      hint: "`/subscriptions/confirm_email` takes an email")
                        failed = true
                    }
                } else {
                    failed = true
                }
            }
            var resubscribe = false
            if let (text, cellAt) = values["resubscribe"] {
                if text == "confirmed" { resubscribe = true } else {
                    checker.error(PersonaClickDiagnosticCode.rows, "`resubscribe` must be `confirmed` or empty, not \(Quoting.cell(text))", at: cellAt,
                                  hint: "`resubscribe: confirmed` says the person asked to be subscribed again after opting out")
                    failed = true
                }
            }
            if failed { continue }
            contacts.append(PersonaClickPreferences.Contact(identity: identity, value: value, flags: flags, emailConfirmed: confirmed, resubscribe: resubscribe))
        }
        for (position, off) in transactionalOff.sorted(by: { $0.key < $1.key }) {
            let name = PersonaClickFlags.names[position]
            let who = off.count == 0 ? "for every contact (`defaults`)" : "for \(off.count) contact\(off.count == 1 ? "" : "s")"
            checker.warning(PersonaClickDiagnosticCode.transactionalOff, "`\(name)` is set false \(who)", at: off.at,
                            hint: "PersonaClick recommends keeping transactional flags true: order and password mails stop too")
        }
        if contacts.isEmpty, !checker.hasErrors {
            checker.error(CampaignDiagnosticCode.emptyAudience, "the preferences list no contact", at: fields["file"]?.location ?? fields["contacts"]?.location ?? document.location)
        }
        return PersonaClickPreferences(contacts: contacts)
    }

    // MARK: suppressions

    private mutating func suppressions(_ fields: Fields, document: YAMLDocument) -> PersonaClickSuppressions? {
        guard let rows = personaClickRows(fields, document: document, inline: "entries", allowed: PersonaClickFields.entry) else { return nil }
        var entries: [PersonaClickSuppressions.Entry] = []
        var seen: [String: SourceLocation] = [:]
        for (values, at) in rows {
            guard let (raw, emailAt) = values["email"] else {
                checker.error(PersonaClickDiagnosticCode.rows, "the entry has no `email`", at: at)
                continue
            }
            guard RecipientCollector.looksLikeEmail(raw) else {
                checker.error(CampaignDiagnosticCode.invalidEmail, "\(Quoting.cell(raw)) is not an email address", at: emailAt, hint: "an address looks like `name@example.com`")
                continue
            }
            guard let (eventText, eventAt) = values["event"] else {
                checker.error(PersonaClickDiagnosticCode.rows, "the entry has no `event`", at: at,
                              hint: "one of " + PersonaClickSuppressions.Event.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", "))
                continue
            }
            guard let event = PersonaClickSuppressions.Event(rawValue: eventText) else {
                let known = PersonaClickSuppressions.Event.allCases.map(\.rawValue)
                checker.error(PersonaClickDiagnosticCode.rows, "unknown event \(Quoting.cell(eventText))", at: eventAt,
                              hint: Suggestions.closest(to: eventText, in: known).map { "did you mean `\($0)`?" } ?? "one of " + known.map { "`\($0)`" }.joined(separator: ", "))
                continue
            }
            var permanent = false
            if let (text, permanentAt) = values["permanent"] {
                guard let parsed = flag(text, name: "permanent", at: permanentAt) else { continue }
                permanent = parsed
                if parsed, event != .hardBounced {
                    checker.error(PersonaClickDiagnosticCode.permanence, "`permanent: true` is for `hard_bounced` only", at: permanentAt,
                                  hint: "`\(event.rawValue)` can be undone at the source; only a hard bounce removes the email for good")
                    continue
                }
            }
            if event == .hardBounced, !permanent {
                checker.error(PersonaClickDiagnosticCode.permanence, "`hard_bounced` removes \(Quoting.cell(raw)) for good: say `permanent: true`", at: eventAt,
                              hint: "never for a soft bounce; add `permanent: true` to the entry once you are sure")
                continue
            }
            let email = raw.lowercased()
            let id = email + " " + event.rawValue
            if let first = seen[id] {
                checker.error(PersonaClickDiagnosticCode.rows, "\(Quoting.cell(email)) with `\(event.rawValue)` is listed twice", at: emailAt,
                              related: [RelatedLocation("first listed here", at: first)])
                continue
            }
            seen[id] = emailAt
            entries.append(PersonaClickSuppressions.Entry(email: email, event: event))
        }
        if entries.isEmpty, !checker.hasErrors {
            checker.error(CampaignDiagnosticCode.emptyAudience, "the suppressions list no email", at: fields["file"]?.location ?? fields["entries"]?.location ?? document.location)
        }
        return PersonaClickSuppressions(entries: entries)
    }
}
