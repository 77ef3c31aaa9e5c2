import CampaignDeploy
import CampaignEngine
import CampaignLanguage
import CampaignModel
import CleverTapClient
import CleverTapCompiler
import Foundation
import JSON
import CleverTapProvider
import Testing
import Workspace

@Suite("campaign compile")
struct CompileTests {
    static let campaigns = TestSupport.repositoryRoot + "/campaigns"
    static let snapshots = TestSupport.fixture("snapshots")

    @Test func outputIsOrderedAndByteIdenticalAcrossRuns() async throws {
        let first = try await TestSupport.runAsync(["compile", Self.campaigns])
        let second = try await TestSupport.runAsync(["compile", Self.campaigns])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        let parsed = try AnyJSON.parse(first.stdout)
        guard case .object(let root) = parsed, case .array(let requests)? = root["requests"] else {
            Issue.record("not {\"requests\": [...]}")
            return
        }
        let keys = requests.compactMap { request -> String? in
            if case .object(let members) = request, case .string(let key)? = members["key"] { return key }
            return nil
        }
        #expect(keys == keys.sorted())
        #expect(keys.count == 19)
        #expect(keys.filter { $0 == "loyalty/vip-preview" }.count == 3)
    }

    @Test func campaignsAreValuesDespiteSharedStorage() async throws {
        let loaded = ProjectLoader.load([Self.campaigns])
        let original = try #require(loaded.campaigns.first)
        var copy = original
        #expect(copy == original && copy.hashValue == original.hashValue)
        copy.name += " (copy)"
        copy.options.tagGroup = "another-group"
        // Changing the copy leaves the original (and the loaded array) as it was.
        #expect(original.name == loaded.campaigns[0].name && !original.name.hasSuffix(" (copy)"))
        #expect(original.options.tagGroup == loaded.campaigns[0].options.tagGroup)
        #expect(copy != original)
        #expect(copy.name == original.name + " (copy)" && copy.options.tagGroup == "another-group")
        // Equal fields make equal campaigns, whatever their storage.
        var rebuilt = Campaign(key: original.key, name: original.name, delivery: original.delivery, content: original.content,
                               platformSpecific: original.platformSpecific, options: original.options, origin: original.origin)
        #expect(rebuilt == original && rebuilt.hashValue == original.hashValue)
        rebuilt.key = "changed"
        #expect(rebuilt != original)
    }

    @Test func requestsWrittenDirectlyAreByteIdenticalToTheirTrees() async throws {
        let loaded = ProjectLoader.load([Self.campaigns])
        #expect(loaded.campaigns.count == 17)
        for campaign in loaded.campaigns {
            let trees = CleverTapCompiler.compile(campaign)
            for indent in [nil, 2] as [Int?] {
                var emitter = JSONTextEmitter(indent: indent)
                emitter.beginArray()
                CleverTapCompiler.writeRequests(campaign, into: &emitter)
                emitter.endArray()
                #expect(emitter.bytes == JSONWriter(indent: indent).bytes(.array(trees.map(\.json))), "\(campaign.key)")
            }
            var body = JSONTextEmitter(indent: nil)
            switch campaign.delivery {
            case .segment(let segment):
                CleverTapCompiler.writeCreateBody(campaign, segment, into: &body)
                #expect(body.bytes == JSONWriter(indent: nil).bytes(trees[0].body), "\(campaign.key)")
            case .identity:
                CleverTapCompiler.writeSendBodyWithoutRecipients(campaign, into: &body)
                let shared = (trees[0].body.objectValue ?? []).filter { $0.0 != "to" }
                #expect(body.bytes == JSONWriter(indent: nil).bytes(.object(shared)), "\(campaign.key)")
            }
        }
    }

    @Test func theHashPlansCompareIsTheHashOfTheRequestApplySends() async throws {
        // Binding hashes text written directly and builds the request only when asked: both must agree.
        let loaded = ProjectLoader.load([Self.campaigns])
        var scheduled = 0
        for desired in CleverTapBinding.desired(loaded.campaigns, timezone: "Europe/Berlin") where desired.kind == CleverTapRules.scheduled {
            scheduled += 1
            let request = try #require(desired.requests().first)
            #expect(desired.hash == CleverTapBinding.sha256(JSONWriter(indent: nil).bytes(request.body)), "\(desired.key)")
            #expect(request.path == "/1/targets/create.json")
        }
        #expect(scheduled >= 5)
    }

    @Test func manyCampaignsStreamInKeyOrderExactlyAsOneDocument() async throws {
        // Enough campaigns for many parts written by several threads (and out of key order on disk: keys are set).
        var files: [String: String] = [:]
        for index in 0..<700 {
            let key = String(format: "k%04d", (index * 37) % 700)
            files["f\(index).yaml"] = "key: \(key)\nname: Campaign \(index)\ndevices: [ios]\naudience: {all: true}\ncontent: {title: \"T \(index)\", body: \"B\\n\\\"x\\\"\"}\nschedule: now\n"
        }
        files["idents.yaml"] = "key: zz-send\nname: Send\ntype: identity\naudience: {identity: [u1, u2]}\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n"
        let fixture = try ProjectFixture(files)
        let loaded = fixture.load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let expected = JSONWriter(indent: 2).string(.object([("requests", .array(CleverTapCompiler.compile(loaded.campaigns).map(\.json)))])) + "\n"
        let result = try await TestSupport.runAsync(["compile", fixture.root])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected)
        #expect(result.stdout.components(separatedBy: "\"key\": \"k").count == 701)
    }

    @Test func theCSVOf2500RecipientsIsThreeRequests() async throws {
        let loaded = ProjectLoader.load([Self.campaigns + "/loyalty"])
        #expect(loaded.diagnostics.isEmpty)
        let requests = loaded.requests
        #expect(requests.map(\.batch) == [1, 2, 3])
        let sizes = requests.map { request -> Int in
            guard case .object(let lists)? = request.body["to"] else { return 0 }
            return lists.reduce(0) { total, list in
                if case .array(let ids) = list.1 { return total + ids.count }
                return total
            }
        }
        #expect(sizes == [1000, 1000, 500])
    }

    @Test func outFolderGetsOneFilePerRequest() async throws {
        let folder = try TestSupport.temporaryFolder()
        let run = try await TestSupport.runAsync(["compile", Self.campaigns, "--out", folder])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("wrote 22 requests"), "19 CleverTap requests and 3 CleverPush resources': \(run.stderr)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.contains("promos/spring-sale.json"))
        #expect(files.contains("loyalty/vip-preview.batch-3.json"))
        #expect(files.contains("cleverpush/vip-tag.json"))
        #expect(files.count == 22)
    }

    @Test func compileRefusesInvalidCampaigns() async throws {
        let run = try await TestSupport.runAsync(["compile", TestSupport.fixture("invalid/bad-device.yaml")])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("error[C004]"))
    }

    /// Golden files: every request the examples compile to, byte for byte. `RECORD_SNAPSHOTS=1 swift test`
    /// re-records them, and that run fails so that recording can never pass silently.
    @Test func examplesMatchTheirSnapshots() async throws {
        let folder = try TestSupport.temporaryFolder()
        let run = try await TestSupport.runAsync(["compile", Self.campaigns, "--out", folder])
        #expect(run.status == 0, "\(run.stderr)")
        let manager = FileManager.default
        let produced = try manager.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted()
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil {
            try? manager.removeItem(atPath: Self.snapshots)
            try manager.copyItem(atPath: folder, toPath: Self.snapshots)
            Issue.record("re-recorded \(produced.count) snapshots in \(Self.snapshots); run the tests again without RECORD_SNAPSHOTS")
            return
        }
        let expected = try manager.subpathsOfDirectory(atPath: Self.snapshots).filter { $0.hasSuffix(".json") }.sorted()
        #expect(produced == expected)
        for file in expected where produced.contains(file) {
            let got = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            let want = try String(contentsOfFile: Self.snapshots + "/" + file, encoding: .utf8)
            if got != want {
                let differences = try AnyJSON.parse(got).differences(from: AnyJSON.parse(want))
                Issue.record("\(file) differs from its snapshot: \(differences.prefix(10)) (byte-level difference if empty)")
            }
        }
    }

    @Test func theReferencePayloadIsReproducedFieldByField() async throws {
        let loaded = ProjectLoader.load([TestSupport.fixture("reference/example.yaml")])
        #expect(loaded.diagnostics.isEmpty)
        let reference = try AnyJSON.parse(String(contentsOfFile: TestSupport.fixture("reference/example-payload.json"), encoding: .utf8))
        // The request apply sends is the reference but for `estimate_only` (the documented example is an estimate)…
        let request = try #require(loaded.requests.first?.body)
        let compiled = try AnyJSON.parse(JSONWriter().string(request))
        #expect(compiled.differences(from: reference) == ["$.estimate_only: missing here"])
        // …and the body `plan --estimate` sends (made from that request, as the client makes it) is the reference.
        let estimate = try AnyJSON.parse(JSONWriter().string(CleverTapClient.estimateBody(request)))
        #expect(estimate.differences(from: reference) == [])
    }

}
