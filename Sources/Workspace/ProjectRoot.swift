import Diagnostics

/// Where a project starts: the folder holding its `project.yaml`. Keys are paths relative to it and the default
/// state lives below it, so they never depend on the path named on the command line or the current directory.
public enum ProjectRoot {
    /// The nearest folder at or above `start` holding a project file, stopping at a repository root (a folder with
    /// `.git`); without one, `start` itself is the root (and the project has no file).
    public static func find(from start: String) -> (root: String, projectFile: String?) {
        var folder = Paths.absolute(start)
        while true {
            if let file = projectFile(in: folder) {
                return (display(folder, relativeTo: start), display(file, relativeTo: start))
            }
            if isRepositoryTop(folder) || folder == "/" { break }
            let up = Paths.parent(folder)
            if up == folder || up.isEmpty { break }
            folder = up
        }
        return (start, nil)
    }

    /// A project file above the project at `root` (up to the repository root), if there is one: a project inside a
    /// project is refused, so that a file's key is the same whichever of the two folders is named.
    static func enclosingProjectFile(of root: String) -> String? {
        var folder = Paths.absolute(root)
        while !isRepositoryTop(folder) && folder != "/" {
            let up = Paths.parent(folder)
            if up == folder || up.isEmpty { return nil }
            folder = up
            if let file = projectFile(in: folder) { return display(file, relativeTo: root) }
        }
        return nil
    }

    /// The project file in `folder` (absolute), if any. Anything but a folder by that name counts (a FIFO or a
    /// device is then refused when it is read, rather than silently taken for "no project").
    static func projectFile(in folder: String) -> String? {
        for name in ProjectLoader.projectFileNames {
            let candidate = folder + (folder.hasSuffix("/") ? "" : "/") + name
            if let kind = Paths.kind(candidate), kind != .directory { return candidate }
        }
        return nil
    }

    static func isRepositoryTop(_ folder: String) -> Bool {
        Paths.kind(folder + (folder.hasSuffix("/") ? "" : "/") + ".git") != nil
    }

    /// A name for the project at `root` that is the same on every clone of its repository: its path relative to
    /// the repository root (`.` when it is the repository root), or its absolute path outside a repository.
    /// State records carry it, so a state shared by several projects knows which project each record belongs to.
    public static func identity(of root: String) -> String {
        let absolute = Paths.absolute(root)
        var folder = absolute
        while true {
            if isRepositoryTop(folder) {
                if folder == absolute { return "." }
                let prefix = folder.hasSuffix("/") ? folder : folder + "/"
                return String(absolute.dropFirst(prefix.count))
            }
            let up = Paths.parent(folder)
            if up == folder || up.isEmpty || folder == "/" { return absolute }
            folder = up
        }
    }

    /// `path` relative to the folder `root` (both as given, relative to the current directory or absolute), or nil
    /// when `path` is not inside it. `""` for the root itself.
    public static func relative(_ path: String, to root: String) -> String? {
        let full = Paths.absolute(path)
        let base = Paths.absolute(root)
        if full == base { return "" }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : nil
    }

    /// Keeps paths short and relative when the user gave relative ones.
    static func display(_ absolutePath: String, relativeTo start: String) -> String {
        if start.hasPrefix("/") { return absolutePath }
        let cwd = Paths.absolute(".")
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        if absolutePath == cwd { return "." }
        if absolutePath.hasPrefix(prefix) { return String(absolutePath.dropFirst(prefix.count)) }
        return absolutePath
    }
}
