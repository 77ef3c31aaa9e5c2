import CampaignLanguage
import CampaignModel
import Diagnostics
import Parallel
import YAMLFrontEnd

/// Campaigns loaded from disk: every project named, validated, with the sources needed to show diagnostics.
public struct LoadedCampaigns: Sendable {
    /// Valid campaigns of every project (a campaign with any error is left out).
    public var campaigns: [Campaign]
    /// Every problem found, in no particular order.
    public var diagnostics: [Diagnostic]
    /// Text of the files that have diagnostics.
    public var sources: SourceText
    /// How many campaign files were read.
    public var fileCount: Int
    /// The projects found (usually one).
    public var projects: [LoadedProject]
}

/// One project: its root folder, its `project.yaml`, and its campaigns.
public struct LoadedProject: Sendable {
    public var root: String
    /// The `project.yaml` path, if there is one.
    public var projectFile: String?
    public var context: ProjectContext
    public var campaigns: [Campaign]
}

/// Reads campaign projects from disk: finds each path's project root (the nearest folder with `project.yaml`),
/// reads and decodes the files on all cores, then checks the rules that span files.
public enum ProjectLoader {
    /// Names of project files; they are never campaign files.
    public static let projectFileNames = ["project.yaml", "project.yml"]

    /// Loads every campaign under `paths` (files or folders).
    public static func load(_ paths: [String], limits: YAMLLimits = YAMLLimits()) -> LoadedCampaigns {
        var diagnostics: [Diagnostic] = []
        // Group the files named by project root, keeping the order roots were first seen.
        var roots: [String] = []
        var filesByRoot: [String: [String]] = [:]
        var projectFiles: [String: String] = [:]
        var seenFiles = Set<String>()
        for path in paths {
            let (files, found) = SourceDiscovery.expand([path])
            diagnostics += found
            guard !files.isEmpty || found.isEmpty else { continue }
            let isDirectory = Paths.kind(path) == .directory
            let start = isDirectory ? path : Paths.parent(path)
            let (root, projectFile) = projectRoot(from: start)
            if filesByRoot[root] == nil {
                roots.append(root)
                filesByRoot[root] = []
            }
            if let projectFile { projectFiles[root] = projectFile }
            // One folder's walk never repeats a file; only several paths can name one twice.
            let dedupe = paths.count > 1
            var kept = filesByRoot[root] ?? []
            filesByRoot[root] = nil
            kept.reserveCapacity(kept.count + files.count)
            for file in files where !isProjectFile(file) && (!dedupe || seenFiles.insert(file).inserted) {
                kept.append(file)
            }
            filesByRoot[root] = kept
            if !isDirectory, isProjectFile(path) {
                diagnostics.append(.warning(FileDiagnosticCode.noFiles, "\(Quoting.code(path, limit: 200)) is a project file, not a campaign; it is read as the project's settings", at: nil))
            }
        }

        var result = LoadedCampaigns(campaigns: [], diagnostics: diagnostics, sources: SourceText(), fileCount: 0, projects: [])
        for root in roots {
            var context = ProjectContext()
            if let projectFile = projectFiles[root] {
                switch FileReader.read(projectFile, limit: limits.maxFileSize) {
                case .failure(let problem):
                    result.diagnostics.append(problem)
                case .success(let bytes):
                    let (decoded, problems) = ProjectDecoder.decode(bytes, path: projectFile, limits: limits)
                    context = decoded
                    if !problems.isEmpty {
                        result.diagnostics += problems
                        result.sources.add(path: projectFile, bytes: bytes)
                    }
                }
            }
            let files = filesByRoot[root] ?? []
            let projectContext = context
            let absoluteRoot = absolute(root)
            let reader = DiskResourceReader(root: absoluteRoot)
            // Each worker decodes a slice of the files and returns its campaigns, and the files with problems (with
            // their bytes, for showing the problems); everything else is freed in the workers.
            let slices = files.parallelSlices { range -> LoadedSlice in
                var slice = LoadedSlice()
                for index in range {
                    let path = files[index]
                    switch FileReader.read(path, limit: limits.maxFileSize) {
                    case .failure(let problem):
                        slice.problems.append(FileProblems(path: path, diagnostics: [problem], bytes: nil, resources: []))
                    case .success(let bytes):
                        let relative = Paths.remainder(of: path, below: root) ?? relativePath(of: path, under: absoluteRoot)
                        let file = SourceFile(path: path, bytes: bytes)
                        let decoded = CampaignDecoder.decode(file, relativePath: relative, context: projectContext, resources: reader, limits: limits)
                        slice.campaigns += decoded.campaigns
                        if !decoded.diagnostics.isEmpty {
                            slice.problems.append(FileProblems(path: path, diagnostics: decoded.diagnostics, bytes: bytes, resources: decoded.resources))
                        }
                    }
                }
                return slice
            }
            var campaigns: [Campaign] = []
            campaigns.reserveCapacity(files.count)
            for slice in slices {
                campaigns += slice.campaigns
                for problem in slice.problems {
                    result.diagnostics += problem.diagnostics
                    if let bytes = problem.bytes { result.sources.add(path: problem.path, bytes: bytes) }
                    for resource in problem.resources where problem.diagnostics.contains(where: { $0.location?.file == resource.path }) {
                        result.sources.add(path: resource.path, bytes: resource.bytes)
                    }
                }
            }
            result.fileCount += files.count
            // One path means one sorted walk: the campaigns are in file order already.
            let crossFile = ProjectRules.check(campaigns, inFileOrder: paths.count == 1)
            result.diagnostics += crossFile
            // A campaign involved in a cross-file error is not valid either.
            let conflicted = Set(crossFile.compactMap { $0.location })
            if !conflicted.isEmpty {
                campaigns.removeAll { conflicted.contains($0.origin.key) || conflicted.contains($0.origin.name) }
            }
            if crossFile.contains(where: { $0.code == CampaignDiagnosticCode.tooManyTagGroups }) {
                campaigns.removeAll { $0.options.tagGroup != nil }
            }
            for diagnostic in crossFile {
                for location in [diagnostic.location].compactMap({ $0 }) + diagnostic.related.map(\.location) where !result.sourcesHas(location.file) {
                    if case .success(let bytes) = FileReader.read(location.file, limit: limits.maxFileSize) {
                        result.sources.add(path: location.file, bytes: bytes)
                    }
                }
            }
            if result.campaigns.isEmpty { result.campaigns = campaigns } else { result.campaigns += campaigns }
            result.projects.append(LoadedProject(root: root, projectFile: projectFiles[root], context: context, campaigns: campaigns))
        }
        // Defaults problems repeat once per campaign: keep one of each.
        var seen = Set<Diagnostic>()
        result.diagnostics = result.diagnostics.filter { seen.insert($0).inserted }
        return result
    }

    static func isProjectFile(_ path: String) -> Bool {
        // Compares the end of the path without building its last component (this runs once per file).
        for name in projectFileNames where path.utf8.elementsEqual(name.utf8) || path.hasSuffix("/" + name) {
            return true
        }
        return false
    }

    static func absolute(_ path: String) -> String { Paths.absolute(path) }

    /// `path` relative to `root` (an absolute, normalized folder), or its file name when outside it.
    static func relativePath(of path: String, under root: String) -> String {
        let full = absolute(path)
        let prefix = root.hasSuffix("/") ? root : root + "/"
        if full.hasPrefix(prefix) { return String(full.dropFirst(prefix.count)) }
        return Paths.lastComponent(path)
    }

    /// The nearest folder at or above `start` holding a project file, stopping at a repository root (a folder with
    /// `.git`); without one, `start` itself is the root.
    static func projectRoot(from start: String) -> (root: String, projectFile: String?) {
        var folder = absolute(start)
        while true {
            for name in projectFileNames {
                let candidate = folder + (folder.hasSuffix("/") ? "" : "/") + name
                if Paths.kind(candidate) == .file {
                    return (display(folder, relativeTo: start), display(candidate, relativeTo: start, isFile: true))
                }
            }
            if Paths.kind(folder + "/.git") != nil || folder == "/" { break }
            let up = Paths.parent(folder)
            if up == folder || up.isEmpty { break }
            folder = up
        }
        return (start, nil)
    }

    /// Keeps paths short and relative when the user gave relative ones.
    private static func display(_ absolutePath: String, relativeTo start: String, isFile: Bool = false) -> String {
        if start.hasPrefix("/") { return absolutePath }
        let cwd = absolute(".")
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        if absolutePath == cwd { return "." }
        if absolutePath.hasPrefix(prefix) { return String(absolutePath.dropFirst(prefix.count)) }
        return absolutePath
    }
}

/// What one worker made of its slice of the files.
private struct LoadedSlice: Sendable {
    var campaigns: [Campaign] = []
    var problems: [FileProblems] = []
}

/// A file with diagnostics, and what is needed to show them.
private struct FileProblems: Sendable {
    var path: String
    var diagnostics: [Diagnostic]
    var bytes: [UInt8]?
    var resources: [SourceFile]
}

extension LoadedCampaigns {
    fileprivate func sourcesHas(_ file: String) -> Bool { sources.contains(file) }
}
