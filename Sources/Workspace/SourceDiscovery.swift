#if canImport(Glibc)
import Glibc
#endif
import Diagnostics

/// Turns the paths a user names into the YAML files to read: files are taken as named; folders are searched
/// recursively for `*.yaml` and `*.yml`, skipping hidden entries (such as `.git` and `.campaign`). A folder that
/// cannot be read is an error (its campaigns would otherwise look removed to `plan`); a hidden YAML file or one
/// with an upper-case extension (`*.YAML`) is passed over with a warning.
public enum SourceDiscovery {
    /// True for names ending in `.yaml` or `.yml`.
    public static func isYAML(_ name: String) -> Bool {
        name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }

    /// The YAML files under `paths`, each folder's files sorted by path, duplicates removed; problems as diagnostics.
    public static func expand(_ paths: [String]) -> (files: [String], diagnostics: [Diagnostic]) {
        var files: [String] = []
        var seen = Set<String>()
        var diagnostics: [Diagnostic] = []
        for path in paths {
            switch Paths.kind(path) {
            case nil:
                diagnostics.append(.error(FileDiagnosticCode.notFound, "no such file or directory: \(Quoting.code(path, limit: 200))", at: nil))
            case .file?, .other?:
                if seen.insert(path).inserted { files.append(path) }
            case .directory?:
                let walk = Paths.walk(path, include: isYAML, lookalike: looksLikeYAML)
                let found = walk.files
                for folder in walk.unreadable {
                    diagnostics.append(.error(
                        FileDiagnosticCode.unreadable, "cannot read the folder \(Quoting.code(folder, limit: 200)): \(Self.reason(folder))", at: nil,
                        hint: "fix its permissions; an unread folder's campaigns would look removed"))
                }
                for file in walk.passedOver {
                    let name = Paths.lastComponent(file)
                    let why = name.hasPrefix(".") ? "a hidden file" : "its extension is not lower-case `.yaml` or `.yml`"
                    diagnostics.append(.warning(
                        FileDiagnosticCode.passedOver, "\(Quoting.code(file, limit: 200)) is not read: \(why)", at: nil,
                        hint: name.hasPrefix(".") ? "rename it without the leading `.` to make it a campaign" : "rename it to end in `.yaml`"))
                }
                if found.isEmpty && walk.unreadable.isEmpty {
                    diagnostics.append(.error(
                        FileDiagnosticCode.noFiles, "no `*.yaml` or `*.yml` files under \(Quoting.code(path, limit: 200))", at: nil,
                        hint: "name a folder that holds campaign files"))
                }
                if paths.count == 1 {
                    files = found  // one folder's walk has no duplicates
                } else {
                    for file in found where seen.insert(file).inserted { files.append(file) }
                }
            }
        }
        return (files, diagnostics)
    }

    /// YAML files below `folder`, as `folder/relative/path`, sorted.
    public static func yamlFiles(under folder: String) -> [String] {
        Paths.walk(folder, include: isYAML).files
    }

    /// A name that is meant as YAML but is not read: hidden, or with an extension in another case (`a.YAML`).
    static func looksLikeYAML(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")
    }

    /// Why `path` cannot be opened as a folder, in words.
    static func reason(_ path: String) -> String {
        guard let directory = opendir(path) else { return String(cString: strerror(errno)) }
        closedir(directory)
        return "it could not be read"
    }
}
