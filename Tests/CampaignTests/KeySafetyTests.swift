import CampaignLanguage
import Foundation
import Testing
import Workspace

@Suite("Safety: keys name files (no `.`, `..` or empty segments; compile --out stays in its folder)")
struct KeySafetyTests {
    @Test(arguments: ["a/../b", "a//b", "a/", "a/.", "a/./b", "a/..", "promos/../../etc/x"])
    func keysWithDotOrEmptySegmentsAreRefused(key: String) async throws {
        let loaded = try ProjectFixture(campaign: "key: \"\(key)\"\n" + validSegment).load()
        #expect(loaded.campaigns.isEmpty)
        #expect(loaded.codes == ["C010"])
        let error = try #require(loaded.first("C010"))
        #expect(error.message.hasPrefix("invalid key `\(key)`"))
        #expect(error.hint?.contains("`/`-separated part") == true, "\(error.hint ?? "")")
        #expect(!CampaignDecoder.isValidKey(key))
    }

    @Test func keysWithDotsInsideSegmentsStayValid() async throws {
        for key in ["a.b/c..d", "v1.2/x...y", "a/b.batch-1", "x/.hidden"] {
            #expect(CampaignDecoder.isValidKey(key), "\(key)")
        }
        let loaded = try ProjectFixture(campaign: "key: a.b/c..d\n" + validSegment).load()
        #expect(loaded.diagnostics.isEmpty)
        #expect(loaded.campaigns.map(\.key) == ["a.b/c..d"])
    }

    /// An identity send of 1001 recipients: two requests, `KEY.batch-1.json` and `KEY.batch-2.json`.
    static func twoBatchSend(key: String) -> (yaml: String, csv: String) {
        var csv = "identity\n"
        for index in 0..<1001 { csv += "user-\(index)\n" }
        let yaml = "key: \(key)\nname: Big send\ntype: identity\naudience: {file: people.csv}\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n"
        return (yaml, csv)
    }

    static func jsonFiles(under folder: String) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func compileOutRefusesTwoRequestsWrittenToOneFile() async throws {
        let send = Self.twoBatchSend(key: "a/b")
        let fixture = try ProjectFixture([
            "send.yaml": send.yaml, "people.csv": send.csv,
            "other.yaml": "key: a/b.batch-1\n" + validSegment,
        ])
        #expect(fixture.load().diagnostics.isEmpty)
        let out = try TestSupport.temporaryFolder() + "/out"
        let run = try await TestSupport.runAsync(["compile", fixture.root, "--out", out])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[F009]"), "\(run.stderr)")
        #expect(run.stderr.contains("`a/b`") && run.stderr.contains("`a/b.batch-1`") && run.stderr.contains("`a/b.batch-1.json`"), "\(run.stderr)")
        // Nothing was written.
        #expect(Self.jsonFiles(under: out) == [])
    }

    @Test func compileOutRefusesAFileWhereAnotherRequestNeedsAFolder() async throws {
        let fixture = try ProjectFixture([
            "one.yaml": "key: a\n" + validSegment,
            "two.yaml": "key: a.json/b\n" + validSegment.replacingOccurrences(of: "Test campaign", with: "Other"),
        ])
        #expect(fixture.load().diagnostics.isEmpty)
        let out = try TestSupport.temporaryFolder()
        let run = try await TestSupport.runAsync(["compile", fixture.root, "--out", out])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[F009]") && run.stderr.contains("`a`") && run.stderr.contains("`a.json/b`"), "\(run.stderr)")
        #expect(Self.jsonFiles(under: out) == [])
    }

    @Test func compileOutDoesNotWriteThroughALinkOutOfTheFolder() async throws {
        let fixture = try ProjectFixture(["promos/spring.yaml": validSegment])
        let out = try TestSupport.temporaryFolder()
        let elsewhere = try TestSupport.temporaryFolder()
        try FileManager.default.createSymbolicLink(atPath: out + "/promos", withDestinationPath: elsewhere)
        let run = try await TestSupport.runAsync(["compile", fixture.root, "--out", out])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[F010]") && run.stderr.contains("`promos/spring`"), "\(run.stderr)")
        #expect(Self.jsonFiles(under: elsewhere) == [])
    }

    @Test func compileOutStillWritesBatchesOfOneKey() async throws {
        let send = Self.twoBatchSend(key: "a/b")
        let fixture = try ProjectFixture(["send.yaml": send.yaml, "people.csv": send.csv])
        let out = try TestSupport.temporaryFolder()
        let run = try await TestSupport.runAsync(["compile", fixture.root, "--out", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.jsonFiles(under: out) == ["a/b.batch-1.json", "a/b.batch-2.json"])
    }
}
