import CampaignLanguage
import CampaignModel
import Diagnostics
import Foundation
import Testing
import Workspace

/// `provider: cleverpush` resources: each type's fields, audiences, CSVs, and project settings, with stable codes.
@Suite("Language: CleverPush")
struct CleverPushLanguageTests {
    let project = "timezone: UTC\ncleverpush: {channel_id: CH1, private_key_env: CLEVERPUSH_KEY}\n"

    static func notification(_ resource: CleverPushResource) -> CleverPushNotification? {
        if case .notification(let value) = resource.body { return value }
        return nil
    }
    static func tagAudience(_ resource: CleverPushResource) -> CleverPushTagAudience? {
        if case .tagAudience(let value) = resource.body { return value }
        return nil
    }
    static func subscribers(_ resource: CleverPushResource) -> CleverPushSubscribers? {
        if case .subscribers(let value) = resource.body { return value }
        return nil
    }

    @Test func theExamplesValidateWithBothProviders() throws {
        let loaded = ProjectLoader.load([TestSupport.repositoryRoot + "/campaigns"])
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(Set(loaded.cleverPush.map(\.kind)) == Set(CleverPushResource.Kind.allCases))
        #expect(loaded.campaigns.count == 17)
        #expect(loaded.projects.first?.context.cleverPush == ["channel_id": "SANDBOXCHANNEL", "private_key_env": "CLEVERPUSH_PRIVATE_KEY"])
    }

    @Test func aNotificationNeedsAnExplicitAudience() throws {
        let missing = try ProjectFixture(["a.yaml": "provider: cleverpush\ntype: notification\nname: N\ncontent: {title: T, text: X, url: \"https://e.com\"}\n"], project: project).load()
        #expect(missing.codes == ["C080"])
        #expect(missing.first("C080")?.hint?.contains("audience: all") == true)
        let all = try ProjectFixture(["a.yaml": PushHarness.notification()], project: project).load()
        #expect(all.diagnostics.isEmpty, "\(all.diagnostics)")
        #expect(all.cleverPush.compactMap(Self.notification).first?.audience == .all)
        let word = try ProjectFixture(["a.yaml": PushHarness.notification(audience: "everyone")], project: project).load()
        #expect(word.codes == ["C080"])
        let mixed = try ProjectFixture(["a.yaml": PushHarness.notification(audience: "{tags: [vip], user_ids: [u1]}")], project: project).load()
        #expect(mixed.codes == ["C080"])
        let named = try ProjectFixture(["a.yaml": PushHarness.notification(audience: "{tags: [vip, beta], segments: germany}")], project: project).load()
        #expect(named.cleverPush.compactMap(Self.notification).first?.audience == .names(tags: ["vip", "beta"], topics: [], segments: ["germany"]))
    }

    @Test func notificationFieldsAreChecked() throws {
        let loaded = try ProjectFixture(["a.yaml": "provider: cleverpush\ntype: notification\nname: N\ncontent: {title: T, body: X, url: \"ftp://e.com\"}\naudience: all\nschedule: tomorrow\ntag_id: x\n"], project: project).load()
        #expect(loaded.codes.sorted() == ["C001", "C003", "C004", "C006", "C050"])
        #expect(loaded.first("C001")?.hint == "CleverPush calls it `text`")
        let type = try ProjectFixture(["a.yaml": "provider: cleverpush\ntype: notifcation\nname: N\n"], project: project).load()
        #expect(type.first("C004")?.hint == "did you mean `notification`?")
    }

    @Test func subscriptionCSVsAreReadAndSplit() throws {
        let loaded = try ProjectFixture([
            "a.yaml": PushHarness.tagAudience(),
            "members.csv": "subscription_id,tags\ns1,\"tag-vip,tag-news\"\ns2,tag-news\ns3, tag-news ,tag-vip\ns1,tag-vip\n",
            "b.yaml": PushHarness.notification("B", audience: "{subscriptions_file: ids.csv}"),
            "ids.csv": "subscription_id\nx1\nx2\n",
        ], project: project).load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(loaded.cleverPush.compactMap(Self.tagAudience).first?.members == ["s1"])
        let noColumn = try ProjectFixture(["a.yaml": PushHarness.tagAudience(), "members.csv": "id\ns1\n"], project: project).load()
        #expect(noColumn.codes == ["C032"])
        let neither = try ProjectFixture(["a.yaml": PushHarness.tagAudience(), "members.csv": "tags\ntag-vip\n"], project: project).load()
        #expect(neither.codes == ["C081"])
        let both = try ProjectFixture(["a.yaml": PushHarness.tagAudience(), "members.csv": "subscription_id,user_id\ns1,u1\n"], project: project).load()
        #expect(both.codes == ["C081"])
        let users = try ProjectFixture(["a.yaml": PushHarness.tagAudience(), "members.csv": "user_id\nu1\nu2\n"], project: project).load()
        #expect(users.cleverPush.compactMap(Self.tagAudience).first.map { $0.byUserID && $0.members == ["u1", "u2"] } == true)
        let outside = try ProjectFixture(["a.yaml": PushHarness.tagAudience(file: "../x.csv")], project: project).load()
        #expect(outside.codes == ["C033"])
    }

    @Test func subscriberRowsMapColumnsAndRefuseDuplicates() throws {
        let loaded = try ProjectFixture(["a.yaml": PushHarness.subscribers(), "customers.csv": "user_id,email,plan\nu1,a@example.com,pro\nu2,,free\n"], project: project).load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let rows = loaded.cleverPush.compactMap(Self.subscribers).first?.rows ?? []
        #expect(rows.map { $0.id } == ["u1", "u2"])
        #expect(rows.first?.fields.map { $0.0 } == ["email", "plan"])
        let twice = try ProjectFixture(["a.yaml": PushHarness.subscribers(), "customers.csv": "user_id,email\nu1,a@example.com\nu1,b@example.com\n"], project: project).load()
        #expect(twice.codes == ["C081"])
        let email = try ProjectFixture(["a.yaml": PushHarness.subscribers(), "customers.csv": "user_id,email\nu1,not-an-address\n"], project: project).load()
        #expect(email.codes == ["C030"])
        let remove = try ProjectFixture(["a.yaml": PushHarness.subscribers(mode: "remove"), "customers.csv": "subscription_id\ns1\n"], project: project).load()
        #expect(remove.codes == ["C006"])
        let removeWithoutID = try ProjectFixture(["a.yaml": PushHarness.subscribers(mode: "remove", form: nil), "customers.csv": "user_id\nu1\n"], project: project).load()
        #expect(removeWithoutID.codes == ["C081"])
    }

    @Test func projectSettingsNameOnlyCleverPushVariables() throws {
        let other = try ProjectFixture(["a.yaml": PushHarness.notification()], project: "timezone: UTC\ncleverpush: {channel_id: CH1, private_key_env: GITHUB_TOKEN}\n").load()
        #expect(other.codes == ["C082"])
        #expect(other.first("C082")?.hint?.contains("SECURITY") == true)
        let url = try ProjectFixture(["a.yaml": PushHarness.notification()], project: "timezone: UTC\ncleverpush: {channel_id: CH1, api_url: \"https://u:p@evil.example\"}\n").load()
        #expect(url.codes == ["C082"])
        let environment = try ProjectFixture(["a.yaml": PushHarness.notification()], project: """
            timezone: UTC
            cleverpush: {channel_id: CH1}
            environments:
              prod:
                cleverpush: {channel_id: CH2, private_key_env: CLEVERPUSH_PROD_KEY, concurrency: 4, rate: 50}
            """).load()
        #expect(environment.diagnostics.isEmpty, "\(environment.diagnostics)")
        #expect(environment.projects.first?.context.environments["prod"]?.providers["cleverpush"] == ["channel_id": "CH2", "private_key_env": "CLEVERPUSH_PROD_KEY", "concurrency": "4", "rate": "50"])
    }

    @Test func aKeyUsedInTwoProjectsIsRefusedForCleverPushResourcesToo() throws {
        let fixture = try ProjectFixture([
            "one/project.yaml": project, "one/a.yaml": "key: same\n" + PushHarness.tagAudience(), "one/members.csv": "subscription_id\ns1\n",
            "two/project.yaml": project, "two/b.yaml": "key: same\n" + PushHarness.notification(),
            "three/project.yaml": project, "three/c.yaml": "key: mixed\n" + PushHarness.notification(),
            "four/project.yaml": "timezone: UTC\n", "four/d.yaml": "key: mixed\nname: CT\ndevices: [ios]\naudience: {all: true}\ncontent: {title: T, body: B}\nschedule: now\n",
        ])
        let loaded = ProjectLoader.load([fixture.path("one"), fixture.path("two"), fixture.path("three"), fixture.path("four")])
        let duplicates = loaded.diagnostics.filter { $0.code.rawValue == "C012" }
        #expect(duplicates.count == 2, "\(loaded.diagnostics)")
        #expect(duplicates.contains { $0.location?.file.hasSuffix("two/b.yaml") == true && $0.related.first?.location.file.hasSuffix("one/a.yaml") == true })
        #expect(duplicates.contains { $0.location?.file.hasSuffix("four/d.yaml") == true && $0.related.first?.location.file.hasSuffix("three/c.yaml") == true })
        // Neither use of a shared key is planned.
        #expect(loaded.cleverPush.isEmpty && loaded.projects.allSatisfy { $0.cleverPush.isEmpty })
        #expect(loaded.campaigns.isEmpty)
    }

    @Test func keysAreUniqueAcrossBothProviders() throws {
        let loaded = try ProjectFixture([
            "a.yaml": "key: same\n" + PushHarness.notification(),
            "b.yaml": "key: same\nname: CT\ndevices: [ios]\naudience: {all: true}\ncontent: {title: T, body: B}\nschedule: now\n",
        ], project: project).load()
        #expect(loaded.codes.contains("C012"))
        #expect(loaded.cleverPush.isEmpty)
    }
}
