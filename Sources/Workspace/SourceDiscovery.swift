import Diagnostics

/// Turns the paths a user names into the YAML files to read: files are taken as named; folders are searched
/// recursively for `*.yaml` and `*.yml`, skipping hidden entries (such as `.git` and `.campaign`).
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
                let found = yamlFiles(under: path)
                if found.isEmpty {
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
        Paths.files(under: folder, include: isYAML)
    }
}
