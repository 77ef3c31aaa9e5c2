import CampaignCommands
import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import Testing

/// A state written by the previous release (format 1) plans identically before and after its first write migrates
/// it, and the old file is kept.
@Suite("State format 1 → 2", .serialized)
struct StateMigrationTests {
    @Test func aVersionOneStatePlansIdenticallyBeforeAndAfterMigration() async throws {
        let h = try await DeployHarness.start()
        try h.write("promo.yaml", DeployHarness.segment("Promo", schedule: "now"))
        try h.write("paused.yaml", DeployHarness.segment("Paused", extra: "stopped: true\n"))
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u2"]))
        // The fixture is the previous release's file, hashes included (frozen): the hashes this build makes of the
        // same files must be those, or an upgrade would see every campaign as changed.
        let context = try DeployContext.load(paths: [h.root + "/campaigns"], statePath: h.root + "/state.json", environmentName: nil, environment: [:])
        let text = try String(contentsOfFile: TestSupport.fixture("state/v1-state.json"), encoding: .utf8)
        let frozen = try JSONParser().parse(text)
        for desired in context.desired {
            let recorded = frozen["campaigns"]?[desired.key]?["request_sha256"]?.stringValue ?? frozen["campaigns"]?[desired.key]?["content_sha256"]?.stringValue
            #expect(desired.hash == recorded, "\(desired.key)")
        }
        try text.write(toFile: h.root + "/state.json", atomically: true, encoding: .utf8)

        let before = try await h.plan(["--detailed-exitcode"])
        #expect(before.status == 0, "\(before.stdout)\(before.stderr)")
        #expect(before.line("promo")?.contains("completed: sent 82, clicked 28") == true, "\(before.stdout)")
        #expect(before.line("vip")?.contains("sent to 2 recipients in 1 request") == true)
        #expect(before.line("paused")?.contains("[id 1457000007]") == true)

        // The first write (any change) migrates it.
        let store = StateStore(path: h.root + "/state.json")
        let journal = StateJournal(state: try store.load(), store: store)
        try await journal.updateAll { _ in }
        let migrated = try JSONParser().parse(try String(contentsOfFile: h.root + "/state.json", encoding: .utf8))
        #expect(migrated["format_version"]?.intValue == 2)
        #expect(migrated["serial"]?.intValue == 13)
        #expect(migrated["lineage"]?.stringValue == "0b9f2a1e-7c1d-4c53-9a43-5d8f1f3b6a10")
        #expect(migrated["campaigns"]?["promo"]?["id"]?.stringValue == "1457000003")
        #expect(migrated["campaigns"]?["promo"]?["facts"]?["sent"]?.stringValue == "82")
        #expect(migrated["campaigns"]?["promo"]?["provider"]?.stringValue == "clevertap")
        #expect(try String(contentsOfFile: h.root + "/state.json.v1.bak", encoding: .utf8) == text)

        let after = try await h.plan(["--detailed-exitcode"])
        #expect(after.status == 0)
        #expect(after.stdout == before.stdout)
        // A second write keeps the first backup as it was.
        try await StateJournal(state: try store.load(), store: store).updateAll { _ in }
        #expect(try String(contentsOfFile: h.root + "/state.json.v1.bak", encoding: .utf8) == text)
        await h.stop()
    }
}
