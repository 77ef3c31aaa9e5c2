import CampaignLanguage
import CampaignModel
import Diagnostics
import Foundation
import Testing
import Workspace

/// `provider: personaclick` resources: contacts and their flags, suppressions, project settings, with stable codes
/// and places.
@Suite("Language: PersonaClick")
struct PersonaClickLanguageTests {
    let project = "timezone: UTC\npersonaclick: {shop_id: SHOP-1, shop_secret_env: PERSONACLICK_SHOP_SECRET}\n"

    static func preferences(_ loaded: LoadedCampaigns) -> PersonaClickPreferences? {
        for resource in loaded.personaClick { if case .preferences(let value) = resource.body { return value } }
        return nil
    }
    static func suppressions(_ loaded: LoadedCampaigns) -> PersonaClickSuppressions? {
        for resource in loaded.personaClick { if case .suppressions(let value) = resource.body { return value } }
        return nil
    }

    @Test func theExamplesValidate() throws {
        let loaded = ProjectLoader.load([TestSupport.repositoryRoot + "/campaigns"])
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(Set(loaded.personaClick.map(\.kind)) == Set(PersonaClickResource.Kind.allCases))
        #expect(loaded.projects.first?.context.personaClick["shop_secret_env"] == "PERSONACLICK_SHOP_SECRET")
    }

    @Test func contactsFromACSVWithDefaultsAndEmptyCells() throws {
        let csv = "email,phone,email_bulk,sms_bulk,email_confirmed,resubscribe\nAna@Example.com,,true,,true,\n,+49 151 2345 6789,,false,,confirmed\n"
        let loaded = try ProjectFixture(["prefs.yaml": ClickHarness.preferences(defaults: "{email_transactional: true, email_chain: false}"), "contacts.csv": csv], project: project).load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let contacts = try #require(Self.preferences(loaded)).contacts
        #expect(contacts.count == 2)
        #expect(contacts[0].identity == "email" && contacts[0].value == "ana@example.com" && contacts[0].emailConfirmed)
        // email_bulk from the row, email_chain and email_transactional from the defaults, the rest left as they are.
        #expect(Array(contacts[0].flags.prefix(4)) == [true, false, true, nil])
        #expect(contacts[1].identity == "phone" && contacts[1].value == "+4915123456789" && contacts[1].resubscribe)
        #expect(contacts[1].flags[3] == false && contacts[1].flags[0] == nil)
    }

    @Test func inlineContactsTakeYAMLBooleans() throws {
        let yaml = "provider: personaclick\ntype: subscription_preferences\nname: VIP\ncontacts:\n  - {external_id: c-1, web_push_bulk: true}\n  - {loyalty_id: L9, mobile_push_chain: false}\n"
        let loaded = try ProjectFixture(["vip.yaml": yaml], project: project).load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(Self.preferences(loaded)?.contacts.map(\.identity) == ["external_id", "loyalty_id"])
    }

    @Test func everyContactProblemIsReportedAtItsCellInOneRun() throws {
        let csv = "email,phone,email_bulk,emial_chain\nnot-an-email,,true,\n,0151 234,true,\nbo@example.com,+4915123456789,,\ncy@example.com,,yes,\ncy@example.com,,false,\n"
        let loaded = try ProjectFixture(["prefs.yaml": ClickHarness.preferences(), "contacts.csv": csv], project: project).load()
        // The unknown column stops the file at its header (with a suggestion).
        #expect(loaded.codes == ["C032"], "\(loaded.diagnostics)")
        #expect(loaded.first("C032")?.hint?.contains("email_chain") == true)
        let fixed = csv.replacingOccurrences(of: "emial_chain", with: "email_chain")
        let again = try ProjectFixture(["prefs.yaml": ClickHarness.preferences(), "contacts.csv": fixed], project: project).load()
        #expect(again.codes == ["C030", "C090", "C090", "C090", "C090"], "\(again.diagnostics)")
        let phone = try #require(again.errors.first { $0.message.contains("international format") })
        #expect(phone.location?.line == 3 && phone.location?.column == 2 && phone.hint?.contains("+49") == true)
        #expect(again.errors.contains { $0.message.contains("given by `email` and `phone`") })
        #expect(again.errors.contains { $0.message.contains("must be `true`, `false` or empty, not") && $0.message.contains("yes") })
        #expect(again.errors.contains { $0.message.contains("listed twice") && $0.related.first?.location.line == 5 })
        #expect(again.personaClick.isEmpty)
    }

    @Test func aTransactionalFlagSetFalseIsAWarning() throws {
        let csv = "email,email_transactional\na@example.com,false\nb@example.com,false\n"
        let loaded = try ProjectFixture(["prefs.yaml": ClickHarness.preferences(), "contacts.csv": csv], project: project).load()
        #expect(loaded.codes == ["C092"])
        #expect(loaded.first("C092")?.severity == .warning && loaded.first("C092")?.message.contains("2 contacts") == true)
        #expect(loaded.personaClick.count == 1)
    }

    @Test func rowOptionsAreChecked() throws {
        let csv = "phone,email_confirmed,resubscribe\n+4915123456789,true,\n+4915123456780,,maybe\n"
        let loaded = try ProjectFixture(["prefs.yaml": ClickHarness.preferences(), "contacts.csv": csv], project: project).load()
        #expect(loaded.codes == ["C090", "C090"])
        #expect(loaded.errors.first?.hint?.contains("confirm_email") == true)
    }

    @Test func suppressionsSayPermanentForAHardBounce() throws {
        let csv = "email,event,permanent\na@example.com,hard_bounced,\nb@example.com,complained,true\nc@example.com,unsubscrib,\nd@example.com,blacklisted,\ne@example.com,hard_bounced,true\n"
        let loaded = try ProjectFixture(["s.yaml": ClickHarness.suppressions(), "suppressions.csv": csv], project: project).load()
        #expect(loaded.codes == ["C093", "C093", "C090"], "\(loaded.diagnostics)")
        #expect(loaded.first("C093")?.hint?.contains("permanent: true") == true)
        #expect(loaded.errors.last?.hint?.contains("unsubscribed") == true)
        let good = try ProjectFixture(["s.yaml": ClickHarness.suppressions(), "suppressions.csv": "email,event,permanent\nd@example.com,blacklisted,\ne@example.com,hard_bounced,true\n"], project: project).load()
        #expect(good.diagnostics.isEmpty)
        #expect(Self.suppressions(good)?.entries.map(\.event) == [.blacklisted, .hardBounced])
    }

    @Test func typesAndFieldsAreChecked() throws {
        let loaded = try ProjectFixture(["a.yaml": "provider: personaclick\ntype: preferences\nname: A\n", "b.yaml": "provider: personaclick\ntype: suppressions\nname: B\nfile: x.csv\nentries: []\ndefaults: {}\n"], project: project).load()
        #expect(loaded.codes.contains("C004") && loaded.codes.contains("C006"), "\(loaded.diagnostics)")
        let empty = try ProjectFixture(["a.yaml": "provider: personaclick\ntype: subscription_preferences\nname: A\n"], project: project).load()
        #expect(empty.codes == ["C003"])
    }

    @Test func settingsNameOnlyPersonaClickVariables() throws {
        for (settings, fragment) in [
            ("{shop_id: S1, shop_secret_env: HOME}", "PERSONACLICK_"), ("{shop_id: \"a b\"}", "shop id"),
            ("{shop_id: S1, api_url: \"https://u:p@evil.example\"}", "without credentials"), ("{shop_id: S1, rate: 0}", "rate"),
        ] {
            let loaded = try ProjectFixture(["a.yaml": ClickHarness.preferences(), "contacts.csv": "email\na@example.com\n"], project: "timezone: UTC\npersonaclick: \(settings)\n").load()
            #expect(loaded.codes == ["C091"], "\(settings): \(loaded.diagnostics)")
            #expect(loaded.first("C091")?.message.contains(fragment) == true)
        }
        let environment = try ProjectFixture(["a.yaml": ClickHarness.preferences(), "contacts.csv": "email\na@example.com\n"],
                                             project: "timezone: UTC\nenvironments:\n  prod: {personaclick: {shop_id: P1, shop_secret_env: PERSONACLICK_PROD}}\n").load()
        #expect(environment.diagnostics.isEmpty, "\(environment.diagnostics)")
        #expect(environment.projects.first?.context.environments["prod"]?.providers["personaclick"]?["shop_id"] == "P1")
    }

    @Test func hostileCellsAreDiagnosedNotCrashedOn() throws {
        let csv = "email,email_bulk\n\"unterminated,true\n"
        let loaded = try ProjectFixture(["prefs.yaml": ClickHarness.preferences(), "contacts.csv": csv], project: project).load()
        #expect(loaded.codes == ["C032"])
        var big = "phone,sms_bulk\n"
        for index in 0..<2_000 { big += "+49151\(String(format: "%07d", index)),true\n" }
        big += "+49 (0) 151,true\n"
        let many = try ProjectFixture(["prefs.yaml": ClickHarness.preferences(), "contacts.csv": big], project: project).load()
        #expect(many.codes == ["C090"])
        #expect(many.first("C090")?.location?.line == 2_002)
    }
}
