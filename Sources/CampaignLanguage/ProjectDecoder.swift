import CampaignModel
import Diagnostics
import Foundation
import YAMLFrontEnd

/// Reads `project.yaml`: `timezone`, `region`, `defaults` and `environments`.
public enum ProjectDecoder {
    /// The project context from `project.yaml`'s bytes, with every problem found.
    public static func decode(_ bytes: [UInt8], path: String, limits: YAMLLimits = YAMLLimits()) -> (ProjectContext, [Diagnostic]) {
        let parsed = YAMLParser.parse(bytes, file: path, limits: limits)
        if parsed.hasErrors { return (ProjectContext(), parsed.diagnostics) }
        var checker = Checker()
        checker.append(parsed.diagnostics)
        var context = ProjectContext()
        guard let document = parsed.documents.first else { return (context, checker.diagnostics) }
        if parsed.documents.count > 1 {
            checker.error(CampaignDiagnosticCode.projectFile, "`project.yaml` must hold one document", at: parsed.documents[1].location)
        }
        if document.root.isNull { return (context, checker.diagnostics) }
        guard let fields = checker.fields(document.root, what: "`project.yaml`", allowed: CampaignFields.project) else {
            return (context, checker.diagnostics)
        }
        if let node = fields["timezone"], let zone = checker.string(node, field: "timezone") {
            if TimeZone(identifier: zone) == nil {
                checker.error(
                    CampaignDiagnosticCode.invalidTimezone, "unknown time zone \(Quoting.code(zone))", at: node,
                    hint: "use an IANA name such as `Europe/Berlin`, `America/New_York` or `UTC`")
            } else if !isRegionName(zone) {
                checker.error(
                    CampaignDiagnosticCode.timezoneNotARegion,
                    "time zone \(Quoting.code(zone)) is an abbreviation or a fixed offset, not an IANA region name", at: node,
                    hint: "name the account's region, such as `Europe/Berlin` or `America/New_York`, so daylight saving follows the account's rules; or `UTC`")
            } else {
                context.settings.timezone = zone
            }
        }
        if let node = fields["provider"], let provider = checker.string(node, field: "provider") {
            if CampaignFields.providers.contains(provider) {
                context.settings.provider = provider
            } else {
                checker.error(CampaignDiagnosticCode.unknownProvider, "unknown provider \(Quoting.code(provider))", at: node,
                              hint: "this build has " + CampaignFields.providers.map { "`\($0)`" }.joined(separator: ", "))
            }
        }
        if let node = fields["region"], let region = checker.string(node, field: "region") {
            if CampaignFields.regions.contains(region) {
                context.settings.region = region
            } else {
                checker.error(
                    CampaignDiagnosticCode.invalidValue, "unknown region \(Quoting.code(region))", at: node,
                    hint: "one of " + CampaignFields.regions.map { "`\($0)`" }.joined(separator: ", "))
            }
        }
        if let node = fields["defaults"] {
            if let defaults = checker.fields(node, what: "`defaults`", allowed: CampaignFields.defaultable,
                                             extraHints: ["key": "a key identifies one campaign; it cannot be a default",
                                                          "name": "names are unique per campaign; they cannot be a default"]) {
                context.defaults = defaults.node
                // Unknown keys were reported; keep only the known ones so they are not reported again per campaign.
                context.defaults = YAMLNode(
                    .mapping(YAMLMapping(defaults.entries.map { YAMLPair(key: $0.key, value: $0.value) })), at: node.location)
            }
        }
        if let node = fields["cleverpush"] {
            context.cleverPush = cleverPushSettings(node, what: "`cleverpush`", checker: &checker) ?? [:]
        }
        if let node = fields["personaclick"] {
            context.personaClick = personaClickSettings(node, what: "`personaclick`", checker: &checker) ?? [:]
        }
        if let node = fields["environments"] {
            context.environments = environments(node, checker: &checker)
        }
        return (context, checker.diagnostics)
    }

    /// Whether `zone` (one Foundation knows) is an IANA region name, `Area/Location` such as `Europe/Berlin` or
    /// `America/Argentina/Buenos_Aires`, or `UTC` or `Etc/…`. Foundation also accepts abbreviations (`EST`, `CET`),
    /// POSIX-style names (`EST5EDT`), offsets (`GMT+1`, `UTC+5`) and old aliases (`Zulu`, `Japan`), whose meaning
    /// is easily mistaken (`CET` never observes summer time in some systems; `EST` never does).
    static func isRegionName(_ zone: String) -> Bool {
        if zone == "UTC" || zone.hasPrefix("Etc/") { return true }
        let parts = zone.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { part in
            guard let first = part.unicodeScalars.first, ("A"..."Z").contains(first) else { return false }
            return part.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "_-+".unicodeScalars.contains($0) }
        }
    }

    private static func environments(_ node: YAMLNode, checker: inout Checker) -> [String: EnvironmentSettings] {
        guard let named = checker.fields(node, what: "`environments`", allowed: nil) else { return [:] }
        var result: [String: EnvironmentSettings] = [:]
        for entry in named.entries {
            guard let outer = checker.fields(
                entry.value, what: "environment \(Quoting.code(entry.name))",
                allowed: CampaignFields.cleverTapEnvironment + ["state"] + CampaignFields.providers)
            else { continue }
            // Credentials per provider (`clevertap: {…}`), or CleverTap's in the older flat form; not both.
            var fields = outer
            var cleverPush: [String: String]?
            if let node = outer["cleverpush"] {
                cleverPush = cleverPushSettings(node, what: "environment \(Quoting.code(entry.name))'s `cleverpush`", checker: &checker)
                if cleverPush == nil { continue }
            }
            var personaClick: [String: String]?
            if let node = outer["personaclick"] {
                personaClick = personaClickSettings(node, what: "environment \(Quoting.code(entry.name))'s `personaclick`", checker: &checker)
                if personaClick == nil { continue }
            }
            // An environment for CleverPush or PersonaClick alone need not give CleverTap's credentials.
            if cleverPush != nil || personaClick != nil, outer["clevertap"] == nil, !CampaignFields.cleverTapEnvironment.contains(where: { outer[$0] != nil }) {
                let state = outer["state"].flatMap { checker.string($0, field: "state") }
                var providers: [String: [String: String]] = [:]
                if let cleverPush { providers[CleverPushFields.provider] = cleverPush }
                if let personaClick { providers[PersonaClickFields.provider] = personaClick }
                result[entry.name] = EnvironmentSettings(statePath: state, providers: providers)
                continue
            }
            if let nested = outer["clevertap"] {
                if let flat = CampaignFields.cleverTapEnvironment.first(where: { outer[$0] != nil }), let node = outer.keyNode(flat) {
                    checker.error(CampaignDiagnosticCode.invalidValue, "give CleverTap's settings under `clevertap:` or beside it, not both", at: node,
                                  hint: "move `\(flat)` under `clevertap:`")
                    continue
                }
                guard let inner = checker.fields(nested, what: "environment \(Quoting.code(entry.name))'s `clevertap`", allowed: CampaignFields.cleverTapEnvironment)
                else { continue }
                fields = inner
            }
            var region: String?
            if let node = fields["region"], let value = checker.string(node, field: "region") {
                if CampaignFields.regions.contains(value) { region = value } else {
                    checker.error(CampaignDiagnosticCode.invalidValue, "unknown region \(Quoting.code(value))", at: node,
                                  hint: "one of " + CampaignFields.regions.map { "`\($0)`" }.joined(separator: ", "))
                }
            }
            var apiURL: String?
            if let node = fields["api_url"], let value = checker.string(node, field: "api_url") {
                if let url = URL(string: value), url.scheme == "http" || url.scheme == "https", url.host != nil {
                    apiURL = value
                } else {
                    checker.error(CampaignDiagnosticCode.invalidValue, "`api_url` must be an http(s) URL", at: node)
                }
            }
            if region != nil, apiURL != nil, let node = fields.keyNode("api_url") {
                checker.error(CampaignDiagnosticCode.invalidValue, "give `region` or `api_url`, not both", at: node)
            }
            func variable(_ name: String) -> String? {
                guard let node = fields[name] else {
                    checker.error(CampaignDiagnosticCode.missingField, "environment \(Quoting.code(entry.name)) needs `\(name)` (CleverTap's credentials)", at: entry.key,
                                  hint: "the *name* of an environment variable, e.g. `CLEVERTAP_ACCOUNT_ID`; never the secret itself")
                    return nil
                }
                guard let value = checker.string(node, field: name) else { return nil }
                let valid = value.first.map { $0 == "_" || $0.isLetter } == true
                    && value.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
                if !valid {
                    checker.error(CampaignDiagnosticCode.invalidValue, "`\(name)` must name an environment variable, such as `CLEVERTAP_PASSCODE`", at: node,
                                  hint: "put the secret in the variable, and the variable's name here")
                    return nil
                }
                // Repository content chooses which variable is read: only CleverTap's own, never `HOME` or a token.
                guard value.hasPrefix("CLEVERTAP_"), value.count > "CLEVERTAP_".count else {
                    checker.error(CampaignDiagnosticCode.invalidValue, "`\(name)` must name a variable starting with `CLEVERTAP_`", at: node,
                                  hint: "a repository may name only CleverTap's variables, so that a pull request cannot send another secret (see docs/SECURITY.md)")
                    return nil
                }
                return value
            }
            let account = variable("account_id_env")
            let passcode = variable("passcode_env")
            let state = outer["state"].flatMap { checker.string($0, field: "state") }
            if let state, let node = outer["state"], state.lowercased().hasPrefix("postgres"), let url = URLComponents(string: state),
                url.password != nil || url.queryItems?.contains(where: { $0.name.lowercased() == "password" }) == true {
                // A secret committed to the repository: said without repeating it.
                checker.error(CampaignDiagnosticCode.invalidValue, "a state URL must not carry a password", at: node,
                              hint: "remove it (and change it: it is in the repository's history); the runner sets PGPASSWORD or PGPASSFILE")
            }
            if let account, let passcode {
                var clevertap = ["account_id_env": account, "passcode_env": passcode]
                if let region { clevertap["region"] = region }
                if let apiURL { clevertap["api_url"] = apiURL }
                var providers = ["clevertap": clevertap]
                if let cleverPush { providers[CleverPushFields.provider] = cleverPush }
                if let personaClick { providers[PersonaClickFields.provider] = personaClick }
                result[entry.name] = EnvironmentSettings(statePath: state, providers: providers)
            }
        }
        return result
    }

    /// A `cleverpush:` mapping: the channel id, the *name* of the variable holding the private key (only a
    /// `CLEVERPUSH_…` one), an API URL, the concurrency and a rate cap. Nil after an error.
    static func cleverPushSettings(_ node: YAMLNode, what: String, checker: inout Checker) -> [String: String]? {
        guard let fields = checker.fields(node, what: what, allowed: CleverPushFields.settings) else { return nil }
        var result: [String: String] = [:]
        var failed = false
        if let node = fields["channel_id"], let value = checker.string(node, field: "channel_id") {
            if value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) { result["channel_id"] = value } else {
                checker.error(CleverPushDiagnosticCode.settings, "`channel_id` must be a CleverPush channel id (letters and digits)", at: node)
                failed = true
            }
        }
        if let node = fields["private_key_env"], let value = checker.string(node, field: "private_key_env") {
            let valid = value.hasPrefix("CLEVERPUSH_") && value.count > "CLEVERPUSH_".count
                && value.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isUppercase || $0.isNumber)) }
            if valid { result["private_key_env"] = value } else {
                checker.error(CleverPushDiagnosticCode.settings, "`private_key_env` must name a variable starting with `CLEVERPUSH_`", at: node,
                              hint: "the *name* of the variable holding the private key, never the key; a repository may name only CleverPush's variables, so that a pull request cannot send another secret (see docs/SECURITY.md)")
                failed = true
            }
        }
        if let node = fields["api_url"], let value = checker.string(node, field: "api_url") {
            if let url = URL(string: value), url.scheme == "http" || url.scheme == "https", url.host != nil, url.user == nil, url.password == nil { result["api_url"] = value } else {
                checker.error(CleverPushDiagnosticCode.settings, "`api_url` must be an http(s) URL without credentials", at: node)
                failed = true
            }
        }
        if let node = fields["concurrency"], let value = checker.count(node, field: "concurrency", maximum: 64) {
            if value == "0" {
                checker.error(CleverPushDiagnosticCode.settings, "`concurrency` must be 1 or more", at: node)
                failed = true
            } else {
                result["concurrency"] = value
            }
        }
        if let node = fields["rate"], let text = checker.string(node, field: "rate") {
            if let rate = Double(text), rate.isFinite, rate > 0, rate <= 10_000 { result["rate"] = text } else {
                checker.error(CleverPushDiagnosticCode.settings, "`rate` must be requests per second, above 0 and at most 10000", at: node)
                failed = true
            }
        }
        return failed ? nil : result
    }

    /// A `personaclick:` mapping: the shop id, the *name* of the variable holding the shop secret (only a
    /// `PERSONACLICK_…` one), an API URL, the concurrency and a rate cap. Nil after an error.
    static func personaClickSettings(_ node: YAMLNode, what: String, checker: inout Checker) -> [String: String]? {
        guard let fields = checker.fields(node, what: what, allowed: PersonaClickFields.settings) else { return nil }
        var result: [String: String] = [:]
        var failed = false
        if let node = fields["shop_id"], let value = checker.string(node, field: "shop_id") {
            if value.count <= 128, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) { result["shop_id"] = value } else {
                checker.error(PersonaClickDiagnosticCode.settings, "`shop_id` must be a PersonaClick shop id (letters, digits, `-`, `_`)", at: node)
                failed = true
            }
        }
        if let node = fields["shop_secret_env"], let value = checker.string(node, field: "shop_secret_env") {
            let valid = value.hasPrefix("PERSONACLICK_") && value.count > "PERSONACLICK_".count
                && value.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isUppercase || $0.isNumber)) }
            if valid { result["shop_secret_env"] = value } else {
                checker.error(PersonaClickDiagnosticCode.settings, "`shop_secret_env` must name a variable starting with `PERSONACLICK_`", at: node,
                              hint: "the *name* of the variable holding the shop secret, never the secret; a repository may name only PersonaClick's variables, so that a pull request cannot send another secret (see docs/SECURITY.md)")
                failed = true
            }
        }
        if let node = fields["api_url"], let value = checker.string(node, field: "api_url") {
            if let url = URL(string: value), url.scheme == "http" || url.scheme == "https", url.host != nil, url.user == nil, url.password == nil, url.query == nil { result["api_url"] = value } else {
                checker.error(PersonaClickDiagnosticCode.settings, "`api_url` must be an http(s) URL without credentials or query", at: node)
                failed = true
            }
        }
        if let node = fields["concurrency"], let value = checker.count(node, field: "concurrency", maximum: 64) {
            if value == "0" {
                checker.error(PersonaClickDiagnosticCode.settings, "`concurrency` must be 1 or more", at: node)
                failed = true
            } else {
                result["concurrency"] = value
            }
        }
        if let node = fields["rate"], let text = checker.string(node, field: "rate") {
            if let rate = Double(text), rate.isFinite, rate > 0, rate <= 10_000 { result["rate"] = text } else {
                checker.error(PersonaClickDiagnosticCode.settings, "`rate` must be requests per second, above 0 and at most 10000", at: node)
                failed = true
            }
        }
        return failed ? nil : result
    }
}
