import Diagnostics
import Foundation

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
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(.error(FileDiagnosticCode.notFound, "no such file or directory: \(Quoting.code(path, limit: 200))", at: nil))
                continue
            }
            guard isDirectory.boolValue else {
                if seen.insert(path).inserted { files.append(path) }
                continue
            }
            let found = yamlFiles(under: path)
            if found.isEmpty {
                diagnostics.append(.error(
                    FileDiagnosticCode.noFiles, "no `*.yaml` or `*.yml` files under \(Quoting.code(path, limit: 200))", at: nil,
                    hint: "name a folder that holds campaign files"))
            }
            for file in found where seen.insert(file).inserted { files.append(file) }
        }
        return (files, diagnostics)
    }

    /// YAML files below `folder`, as `folder/relative/path`, sorted.
    public static func yamlFiles(under folder: String) -> [String] {
        let base = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var result: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            guard isYAML(name) else { continue }
            let full = base + "/" + relative
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                result.append(full)
            }
        }
        return result.sorted()
    }
}
