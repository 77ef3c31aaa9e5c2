import CampaignLanguage
import CampaignModel
import CleverTapCompiler
import Diagnostics
import Foundation
import JSON
import Testing
import Workspace

/// Writes a small project to a temporary folder and loads it through the real loader.
struct ProjectFixture {
    let root: String

    /// `files` maps relative paths to contents; `project` becomes `project.yaml`.
    init(_ files: [String: String], project: String? = nil) throws {
        root = try TestSupport.temporaryFolder()
        var all = files
        if let project { all["project.yaml"] = project }
        for (relative, text) in all {
            let path = root + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    /// A fixture holding one campaign file `campaign.yaml`.
    init(campaign: String, project: String? = nil) throws {
        try self.init(["campaign.yaml": campaign], project: project)
    }

    func load() -> LoadedCampaigns { ProjectLoader.load([root]) }

    func path(_ relative: String) -> String { root + "/" + relative }
}

extension LoadedCampaigns {
    var codes: [String] { diagnostics.sortedForOutput().map(\.code.rawValue) }
    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error }.sortedForOutput() }
    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning }.sortedForOutput() }

    /// The first diagnostic with `code`.
    func first(_ code: String) -> Diagnostic? { diagnostics.sortedForOutput().first { $0.code.rawValue == code } }

    /// The compiled requests of the valid campaigns.
    var requests: [CleverTapRequest] { CleverTapCompiler.compile(campaigns) }
}

/// A valid segment campaign to vary in tests.
let validSegment = """
    name: Test campaign
    devices: [ios]
    audience:
      all: true
    content:
      title: Hello
      body: World
    schedule: now

    """
