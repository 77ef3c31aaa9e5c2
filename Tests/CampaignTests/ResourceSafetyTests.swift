import CampaignLanguage
import Diagnostics
import Foundation
import Testing
import Workspace

@Suite("Safety: recipient files stay inside the project, and diagnostics never echo their content at length")
struct ResourceSafetyTests {
    func send(_ file: String, name: String = "Send") -> String {
        "name: \(name)\ntype: identity\naudience:\n  file: \(file)\ncontent: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n"
    }

    /// A CSV outside every fixture, whose header would be echoed as an unknown column if it were read.
    func secretOutside() throws -> String {
        let folder = try TestSupport.temporaryFolder()
        let path = folder + "/secret.csv"
        try "root:$6$secret-hash:19000:0:99999:7:::\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func absolutePathsAreRefused() throws {
        let secret = try secretOutside()
        let loaded = try ProjectFixture(campaign: send(secret)).load()
        #expect(loaded.campaigns.isEmpty)
        #expect(loaded.codes == ["C033"])
        let error = try #require(loaded.first("C033"))
        #expect(error.message.contains("absolute"), "\(error.message)")
        #expect(error.hint?.contains("relative") == true)
        #expect(!loaded.diagnostics.contains { $0.message.contains("secret-hash") })
        #expect(!loaded.sources.contains(secret))
    }

    @Test func pathsLeavingTheProjectAreRefused() throws {
        let fixture = try ProjectFixture(campaign: send("../../../../../../../../../../etc/passwd"))
        let loaded = fixture.load()
        #expect(loaded.codes == ["C033"])
        let error = try #require(loaded.first("C033"))
        #expect(error.location?.file == fixture.path("campaign.yaml"))
        #expect(error.location?.line == 4)
        #expect(error.message.contains("outside the project"), "\(error.message)")
        #expect(!loaded.diagnostics.contains { $0.message.contains("root:") })
    }

    @Test func linksOutOfTheProjectAreRefused() throws {
        let secret = try secretOutside()
        let fixture = try ProjectFixture(["send.yaml": send("people.csv"), "data/keep.txt": "x"])
        try FileManager.default.createSymbolicLink(atPath: fixture.path("people.csv"), withDestinationPath: secret)
        // A linked folder leads out too.
        try FileManager.default.createSymbolicLink(atPath: fixture.path("linked"), withDestinationPath: (secret as NSString).deletingLastPathComponent)
        try send("linked/secret.csv", name: "Other").write(toFile: fixture.path("other.yaml"), atomically: true, encoding: .utf8)
        let loaded = fixture.load()
        #expect(loaded.codes == ["C033", "C033"], "\(loaded.diagnostics)")
        #expect(!loaded.diagnostics.contains { $0.message.contains("secret-hash") || ($0.hint ?? "").contains("secret-hash") })
        #expect(!loaded.sources.contains(secret))
        #expect(loaded.campaigns.isEmpty)
    }

    @Test func filesInsideTheProjectStillWorkFromSubfoldersAndLinks() throws {
        let fixture = try ProjectFixture([
            "promos/send.yaml": send("../lists/people.csv"),
            "lists/people.csv": "identity\nu1\nu2\n",
            "other/send.yaml": send("alias.csv", name: "Linked"),
        ], project: "timezone: UTC\n")
        // A link that stays inside the project is fine.
        try FileManager.default.createSymbolicLink(atPath: fixture.path("other/alias.csv"), withDestinationPath: "../lists/people.csv")
        let loaded = fixture.load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(loaded.campaigns.count == 2)
        #expect(loaded.requests.map { $0.body["to"]?.compactText } == [#"{"Identity":["u1","u2"]}"#, #"{"Identity":["u1","u2"]}"#])
    }

    @Test func csvTextInDiagnosticsIsBounded() throws {
        let longName = "phone-" + String(repeating: "x", count: 300)
        let longEmail = String(repeating: "y", count: 300)
        let fixture = try ProjectFixture([
            "a.yaml": send("header.csv"),
            "b.yaml": send("emails.csv", name: "B"),
            "header.csv": "email,\(longName)\na@example.com,1\n",
            "emails.csv": "email\n\(longEmail)\n",
        ])
        let loaded = fixture.load()
        let column = try #require(loaded.errors.first { $0.location?.file == fixture.path("header.csv") })
        let email = try #require(loaded.errors.first { $0.location?.file == fixture.path("emails.csv") })
        #expect(column.message == "unknown column `phone-" + String(repeating: "x", count: 34) + "…`")
        #expect(email.message == "`" + String(repeating: "y", count: 40) + "…` is not an email address")
        for diagnostic in loaded.diagnostics {
            #expect(diagnostic.message.count < 100, "\(diagnostic.message)")
        }
    }
}
