import CampaignDeploy
import CampaignEngine
import CleverPushProvider
import CleverTapProvider
import Foundation
import JSON
import Testing
import Workspace

/// Rule 7 of issue 13: upgrading never replaces a campaign by itself. Every project under
/// `Fixtures/upgrade/inputs` was valid before the language learned channels, operators, `audience: all`, delivery
/// options and the new options; its compiled output (`campaign compile`, frozen in `Fixtures/upgrade/expected/NAME.json`
/// by the binary built from the commit before those changes) and the request hash of every campaign
/// (`expected/NAME.hashes`, the hash `plan` compares with state) must never change.
///
/// `inputs/examples` is a copy of `campaigns/` as it was then; `campaigns/` itself grows with new examples.
/// The expected files are never re-recorded: a difference is a bug of the change, not of the fixture.
///
/// `inputs/cleverpush` freezes CleverPush resources (issue 14) the same way: every type and mode, their content
/// hashes and their members (a subscriber row's member holds the hash of what is sent for it, so a change there
/// would sync every row again), recorded with the binding as the provider was merged.
@Suite("Upgrade safety: frozen requests")
struct UpgradeSafetyTests {
    static let folder = TestSupport.fixture("upgrade")

    static var projects: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/inputs")) ?? []).sorted()
    }

    @Test func everyFrozenProjectIsPresent() {
        #expect(Self.projects == ["cleverpush", "defaults-channel", "examples", "reference", "variety"])
    }

    @Test(arguments: projects)
    func compiledBytesAreFrozen(_ project: String) async throws {
        let run = try await TestSupport.runAsync(["compile", Self.folder + "/inputs/" + project])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("error["), "\(run.stderr)")
        let frozen = try String(contentsOfFile: Self.folder + "/expected/\(project).json", encoding: .utf8)
        if run.stdout != frozen {
            let differences = try AnyJSON.parse(run.stdout).differences(from: AnyJSON.parse(frozen))
            Issue.record("\(project): compiled output differs from the frozen bytes: \(differences.prefix(10)) (byte-level difference if empty)")
        }
    }

    /// `key hash` lines, sorted by key: the hash `plan` compares with the one in state; for a CleverPush resource with
    /// members, also `key members KIND sha256` of its members of each kind, in order (what state records as delivered).
    static func hashes(_ project: String) -> String {
        let loaded = ProjectLoader.load([folder + "/inputs/" + project])
        let campaigns = CleverTapBinding.desired(loaded.campaigns, timezone: "UTC").map { "\($0.key) \($0.hash)" }
        let push = CleverPushBinding.desired(loaded.cleverPush, timezone: loaded.projects.first?.context.settings.timezone ?? "UTC").flatMap { resource in
            ["\(resource.key) \(resource.hash)"] + (resource.members ?? [:]).sorted { $0.key < $1.key }.map { kind, members in
                "\(resource.key) members \(kind) \(ContentHash.sha256(Array(members.joined(separator: "\n").utf8)))"
            }
        }
        return (campaigns + push).sorted().joined(separator: "\n") + "\n"
    }

    @Test(arguments: projects)
    func requestHashesAreFrozen(_ project: String) throws {
        let path = Self.folder + "/expected/\(project).hashes"
        let current = Self.hashes(project)
        if ProcessInfo.processInfo.environment["RECORD_UPGRADE_HASHES"] != nil, !FileManager.default.fileExists(atPath: path) {
            try current.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record("recorded \(path); run again without RECORD_UPGRADE_HASHES")
            return
        }
        let frozen = try String(contentsOfFile: path, encoding: .utf8)
        #expect(current == frozen, "\(project): a request hash changed, so `plan` would replace live campaigns")
    }
}
