import Foundation
import JSON
import Testing

/// `campaign compile` shows CleverPush resources' requests too: stable, deterministic, byte-identical across runs.
@Suite("Compile: CleverPush")
struct CleverPushCompileTests {
    static let project = "timezone: Europe/Berlin\ncleverpush: {channel_id: CH1, private_key_env: CLEVERPUSH_KEY}\n"

    static func fixture() throws -> ProjectFixture {
        try ProjectFixture([
            "push.yaml": PushHarness.notification(audience: "{tags: [vip]}", schedule: "2030-06-01 10:00"),
            "vip.yaml": PushHarness.tagAudience(),
            "members.csv": "subscription_id\n" + (0..<1_500).map { "s\($0)" }.joined(separator: "\n") + "\n",
            "customers.yaml": PushHarness.subscribers(),
            "customers.csv": "user_id,email,plan\nu1,a@example.com,pro\n",
            "ct.yaml": "name: CT\ndevices: [ios]\naudience: {all: true}\ncontent: {title: T, body: B}\nschedule: now\n",
        ], project: project)
    }

    @Test func compilePrintsCleverPushRequestsInAStableOrder() async throws {
        let fixture = try Self.fixture()
        let first = try await TestSupport.runAsync(["compile", fixture.root])
        let second = try await TestSupport.runAsync(["compile", fixture.root])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        let root = try JSONParser().parse(Array(first.stdout.utf8))
        // The same bytes as the deterministic writer makes of the whole document.
        #expect(first.stdout == JSONWriter(indent: 2).string(root) + "\n")
        // CleverTap's requests are where they were.
        #expect(root["requests"]?.arrayValue?.compactMap { $0["key"]?.stringValue } == ["ct"])
        let push = try #require(root["cleverpush"]?.arrayValue)
        #expect(push.map { "\($0["key"]?.stringValue ?? "?") \($0["type"]?.stringValue ?? "?") \($0["batch"]?.intValue ?? 0)/\($0["batches"]?.intValue ?? 0)" }
            == ["customers subscribers 1/1", "push notification 1/1", "vip tag_audience 1/2", "vip tag_audience 2/2"])
        let send = push[1]
        #expect(send["path"]?.stringValue == "/notification/send")
        #expect(send["body"]?["scheduledAt"]?.stringValue == "2030-06-01T08:00:00Z")
        #expect(send["body"]?["tagNames"]?.arrayValue?.compactMap(\.stringValue) == ["vip"])
        #expect(push[2]["path"]?.stringValue == "/subscription/tag" && push[2]["body"]?["subscriptionIds"]?.arrayValue?.count == 1_000)
        #expect(push[3]["body"]?["subscriptionIds"]?.arrayValue?.count == 500)
        #expect(push[0]["path"]?.stringValue == "/subscription/sync/CH1")
        #expect(push[0]["body"]?["rows"]?.arrayValue?.first?["emailOptInFormId"]?.stringValue == "form-1")
    }

    @Test func compileOutWritesCleverPushRequestFiles() async throws {
        let fixture = try Self.fixture()
        let out = fixture.path("out")
        let run = try await TestSupport.runAsync(["compile", fixture.root, "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == ["ct.json", "customers.json", "push.json", "vip.batch-1.json", "vip.batch-2.json"])
        let push = try JSONParser().parse(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/push.json"))))
        #expect(push["path"]?.stringValue == "/notification/send" && push["provider"]?.stringValue == "cleverpush")
    }
}
