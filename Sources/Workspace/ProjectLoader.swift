import CampaignLanguage
import CampaignModel
import Diagnostics
import Parallel
import YAMLFrontEnd

/// Campaigns loaded from disk: every project named, validated, with the sources needed to show diagnostics.
public struct LoadedCampaigns: Sendable {
    /// Valid campaigns of every project (a campaign with any error is left out).
    public var campaigns: [Campaign]
    /// Valid `provider: cleverpush` resources of every project.
    public var cleverPush: [CleverPushResource] = []
    /// Valid `provider: personaclick` resources of every project.
    public var personaClick: [PersonaClickResource] = []
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
    /// The root folder, as the user would write it (relative to the current directory when they named relative paths).
    public var root: String
    /// The same on every clone: ``ProjectRoot/identity(of:)``.
    public var identity: String
    /// The `project.yaml` path, if there is one.
    public var projectFile: String?
    public var context: ProjectContext
    public var campaigns: [Campaign]
    /// Its `provider: cleverpush` resources.
    public var cleverPush: [CleverPushResource] = []
    /// Its `provider: personaclick` resources.
    public var personaClick: [PersonaClickResource] = []

    /// `file` (a campaign's file as discovered) relative to the project's root.
    public func relativePath(of file: String) -> String {
        Paths.remainder(of: file, below: root) ?? ProjectRoot.relative(file, to: root) ?? file
    }
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
        var rootNames: [String: String] = [:]
        var seenFiles = Set<String>()
        for path in paths {
            let (found, problems) = SourceDiscovery.expand([path])
            diagnostics += problems
            guard !found.isEmpty || problems.isEmpty else { continue }
            let isDirectory = Paths.kind(path) == .directory
            let start = isDirectory ? path : Paths.parent(path)
            let (root, projectFile) = ProjectRoot.find(from: start)
            if let projectFile, let outer = ProjectRoot.enclosingProjectFile(of: root) {
                diagnostics.append(.error(
                    FileDiagnosticCode.nestedProject, "\(Quoting.code(projectFile, limit: 200)) is inside the project of \(Quoting.code(outer, limit: 200))", at: nil,
                    hint: "a file belongs to one project: keep one `project.yaml` at the project's root (move the other project out, or its settings into `defaults`)"))
                continue
            }
            // Project files met in the walk: inside a project they are refused; below a folder that is no project,
            // each starts a project of its own, and its files are keyed from there (as when it is named).
            let nested = found.filter { file in isProjectFile(file) && projectFile.map { Paths.absolute(file) != Paths.absolute($0) } ?? true }
            var groups: [(root: String, projectFile: String?, files: [String])] = [(root, projectFile, [])]
            if !nested.isEmpty, let projectFile {
                for inner in nested {
                    diagnostics.append(.error(
                        FileDiagnosticCode.nestedProject, "\(Quoting.code(inner, limit: 200)) is inside the project of \(Quoting.code(projectFile, limit: 200))", at: nil,
                        hint: "a file belongs to one project: keep one `project.yaml` at the project's root (move the other project out, or its settings into `defaults`)"))
                }
                continue
            }
            // Deepest project folders first, so a file goes to the nearest one.
            let innerRoots = nested.map { Paths.parent($0) }.sorted { $0.count > $1.count }
            for inner in innerRoots {
                let innerFile = nested.first { Paths.parent($0) == inner }
                if let outer = innerRoots.first(where: { $0 != inner && inner.hasPrefix($0 + "/") }) {
                    diagnostics.append(.error(
                        FileDiagnosticCode.nestedProject, "\(Quoting.code(innerFile ?? inner, limit: 200)) is inside the project of \(Quoting.code(outer + "/project.yaml", limit: 200))", at: nil,
                        hint: "a file belongs to one project: keep one `project.yaml` at the project's root"))
                }
                groups.append((inner, innerFile, []))
            }
            for file in found where !isProjectFile(file) {
                let owner = innerRoots.firstIndex { file.hasPrefix($0 + "/") }.map { $0 + 1 } ?? 0
                groups[owner].files.append(file)
            }
            for group in groups where !group.files.isEmpty || group.projectFile != nil {
                // One project however its root was reached (`campaigns`, `./campaigns`, an absolute path).
                let root = Paths.absolute(group.root)
                if filesByRoot[root] == nil {
                    roots.append(root)
                    filesByRoot[root] = []
                    rootNames[root] = group.root
                }
                if let projectFile = group.projectFile { projectFiles[root] = projectFile }
                // One folder's walk never repeats a file; only several paths can name one twice.
                let dedupe = paths.count > 1
                var kept = filesByRoot[root] ?? []
                filesByRoot[root] = nil
                kept.reserveCapacity(kept.count + group.files.count)
                for file in group.files where !dedupe || seenFiles.insert(file).inserted {
                    kept.append(file)
                }
                filesByRoot[root] = kept
            }
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
            let displayRoot = rootNames[root] ?? root
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
                        let relative = Paths.remainder(of: path, below: displayRoot) ?? relativePath(of: path, under: absoluteRoot)
                        let file = SourceFile(path: path, bytes: bytes)
                        let decoded = CampaignDecoder.decode(file, relativePath: relative, context: projectContext, resources: reader, limits: limits)
                        slice.campaigns += decoded.campaigns
                        slice.cleverPush += decoded.cleverPush
                        slice.personaClick += decoded.personaClick
                        if !decoded.diagnostics.isEmpty {
                            slice.problems.append(FileProblems(path: path, diagnostics: decoded.diagnostics, bytes: bytes, resources: decoded.resources))
                        }
                    }
                }
                return slice
            }
            var campaigns: [Campaign] = []
            var cleverPush: [CleverPushResource] = []
            var personaClick: [PersonaClickResource] = []
            campaigns.reserveCapacity(files.count)
            for slice in slices {
                campaigns += slice.campaigns
                cleverPush += slice.cleverPush
                personaClick += slice.personaClick
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
            // CleverPush resources: keys and names unique among them and against the campaigns'.
            let pushRules = ProjectRules.checkCleverPush(cleverPush, campaigns: campaigns)
            if !pushRules.isEmpty {
                result.diagnostics += pushRules
                let conflicted = Set(pushRules.compactMap(\.location))
                cleverPush.removeAll { conflicted.contains($0.keyLocation) || conflicted.contains($0.document) }
                for diagnostic in pushRules {
                    for location in [diagnostic.location].compactMap({ $0 }) + diagnostic.related.map(\.location) where !result.sourcesHas(location.file) {
                        if case .success(let bytes) = FileReader.read(location.file, limit: limits.maxFileSize) { result.sources.add(path: location.file, bytes: bytes) }
                    }
                }
            }
            // PersonaClick resources: keys and names unique among them and against the others'.
            let clickRules = ProjectRules.checkPersonaClick(personaClick, campaigns: campaigns, cleverPush: cleverPush)
            if !clickRules.isEmpty {
                result.diagnostics += clickRules
                let conflicted = Set(clickRules.compactMap(\.location))
                personaClick.removeAll { conflicted.contains($0.keyLocation) || conflicted.contains($0.document) }
                for diagnostic in clickRules {
                    for location in [diagnostic.location].compactMap({ $0 }) + diagnostic.related.map(\.location) where !result.sourcesHas(location.file) {
                        if case .success(let bytes) = FileReader.read(location.file, limit: limits.maxFileSize) { result.sources.add(path: location.file, bytes: bytes) }
                    }
                }
            }
            if result.campaigns.isEmpty { result.campaigns = campaigns } else { result.campaigns += campaigns }
            result.cleverPush += cleverPush
            result.personaClick += personaClick
            var project = LoadedProject(root: displayRoot, identity: ProjectRoot.identity(of: root), projectFile: projectFiles[root], context: context, campaigns: campaigns)
            project.cleverPush = cleverPush
            project.personaClick = personaClick
            result.projects.append(project)
        }
        // Keys are unique across the projects of a run (they share its state), whatever the provider; a resource whose
        // key another project uses is not valid either.
        let acrossProjects = ProjectRules.checkKeysAcrossProjects(result.projects.map { project in
            project.campaigns.map { ProjectRules.KeyUse($0.key, at: $0.origin.key) } + project.cleverPush.map { ProjectRules.KeyUse($0.key, at: $0.keyLocation) }
        })
        if !acrossProjects.isEmpty {
            result.diagnostics += acrossProjects
            let conflicted = Set(acrossProjects.flatMap { diagnostic -> [SourceLocation] in [diagnostic.location].compactMap { $0 } + diagnostic.related.map(\.location) })
            for index in result.projects.indices {
                result.projects[index].campaigns.removeAll { conflicted.contains($0.origin.key) }
                result.projects[index].cleverPush.removeAll { conflicted.contains($0.keyLocation) }
            }
            result.campaigns.removeAll { conflicted.contains($0.origin.key) }
            result.cleverPush.removeAll { conflicted.contains($0.keyLocation) }
            for diagnostic in acrossProjects {
                for location in [diagnostic.location].compactMap({ $0 }) + diagnostic.related.map(\.location) where !result.sourcesHas(location.file) {
                    if case .success(let bytes) = FileReader.read(location.file, limit: limits.maxFileSize) {
                        result.sources.add(path: location.file, bytes: bytes)
                    }
                }
            }
        }
        // Defaults problems repeat once per campaign: keep one of each.
        var seen = Set<Diagnostic>()
        result.diagnostics = result.diagnostics.filter { seen.insert($0).inserted }
        return result
    }

    /// The project at or above `path` with its settings only (no campaign is read), and the problems of its
    /// `project.yaml`; nil when there is no `project.yaml`.
    public static func loadSettings(_ path: String, limits: YAMLLimits = YAMLLimits()) -> (project: LoadedProject, problems: [Diagnostic])? {
        let start = Paths.kind(path) == .directory ? path : Paths.parent(path)
        let (root, projectFile) = ProjectRoot.find(from: start)
        guard let projectFile else { return nil }
        var problems: [Diagnostic] = []
        var context = ProjectContext()
        switch FileReader.read(projectFile, limit: limits.maxFileSize) {
        case .failure(let problem): problems.append(problem)
        case .success(let bytes): (context, problems) = ProjectDecoder.decode(bytes, path: projectFile, limits: limits)
        }
        return (LoadedProject(root: root, identity: ProjectRoot.identity(of: root), projectFile: projectFile, context: context, campaigns: []), problems)
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
}

/// What one worker made of its slice of the files.
private struct LoadedSlice: Sendable {
    var campaigns: [Campaign] = []
    var cleverPush: [CleverPushResource] = []
    var personaClick: [PersonaClickResource] = []
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
