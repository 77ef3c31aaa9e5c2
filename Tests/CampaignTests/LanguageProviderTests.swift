import CampaignLanguage
import Diagnostics
import Foundation
import Testing
import Workspace

/// `provider:` on resources and in `project.yaml`, and credentials per provider in environments.
@Suite("Language: providers")
struct LanguageProviderTests {
    let campaign = "name: N\ndevices: [ios]\naudience: {all: true}\ncontent: {title: T, body: B}\nschedule: now\n"

    @Test func resourcesNameTheirProviderOrTakeTheProjectsDefault() throws {
        let named = try ProjectFixture(["a.yaml": "provider: clevertap\n" + campaign], project: "timezone: UTC\nprovider: clevertap\n").load()
        #expect(named.diagnostics.isEmpty, "\(named.diagnostics)")
        #expect(named.projects.first?.context.settings.provider == "clevertap")
        #expect(named.campaigns.count == 1)
        let unknown = try ProjectFixture(["a.yaml": "provider: pigeon\n" + campaign], project: "timezone: UTC\n").load()
        let error = try #require(unknown.diagnostics.first { $0.code == CampaignDiagnosticCode.unknownProvider })
        #expect(error.message == "unknown provider `pigeon`")
        #expect(error.hint?.contains("`clevertap`") == true)
        #expect(unknown.campaigns.isEmpty)
        let project = try ProjectFixture(["a.yaml": campaign], project: "timezone: UTC\nprovider: pigeon\n").load()
        #expect(project.diagnostics.contains { $0.code == CampaignDiagnosticCode.unknownProvider && $0.location?.line == 2 })
    }

    @Test func environmentsGiveCredentialsPerProvider() throws {
        let nested = try ProjectFixture(["a.yaml": campaign], project: """
            timezone: UTC
            environments:
              prod:
                state: prod.json
                clevertap: {region: eu1, account_id_env: CLEVERTAP_PROD_ID, passcode_env: CLEVERTAP_PROD_PASSCODE}
            """).load()
        #expect(nested.diagnostics.isEmpty, "\(nested.diagnostics)")
        let prod = try #require(nested.projects.first?.context.environments["prod"])
        #expect(prod.providers == ["clevertap": ["region": "eu1", "account_id_env": "CLEVERTAP_PROD_ID", "passcode_env": "CLEVERTAP_PROD_PASSCODE"]])
        #expect(prod.statePath == "prod.json")
        // Both forms at once is ambiguous.
        let both = try ProjectFixture(["a.yaml": campaign], project: """
            timezone: UTC
            environments:
              prod: {region: eu1, clevertap: {account_id_env: CLEVERTAP_A, passcode_env: CLEVERTAP_B}}
            """).load()
        #expect(both.diagnostics.contains { $0.message.contains("under `clevertap:` or beside it, not both") })
        // A repository may name only CleverTap's variables.
        let home = try ProjectFixture(["a.yaml": campaign], project: """
            timezone: UTC
            environments:
              prod: {clevertap: {account_id_env: CLEVERTAP_A, passcode_env: GITHUB_TOKEN}}
            """).load()
        #expect(home.diagnostics.contains { $0.message == "`passcode_env` must name a variable starting with `CLEVERTAP_`" })
        #expect(home.projects.first?.context.environments["prod"] == nil)
    }
}
