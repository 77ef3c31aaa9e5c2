#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CampaignLanguage
import Diagnostics

/// Reads recipient files from disk for the decoder, only from inside one project: a path is resolved (links
/// followed, `.` and `..` settled, as `realpath(3)` does) and read only when the result lies inside the resolved
/// project root. A campaign can therefore not make the tool read `/etc/shadow`, a file beside the project, or
/// anything a link inside the project points to outside it.
struct DiskResourceReader: ResourceReader {
    /// Recipient CSVs may be large (millions of rows); this bounds them (256 MiB, documented in LANGUAGE.md).
    static let limit = 256 << 20

    /// The project root as given (for messages).
    let root: String
    /// The project root resolved, with a trailing `/`; nil when it cannot be resolved (then nothing is read).
    private let resolvedRootPrefix: String?

    /// A reader confined to the project folder `root`.
    init(root: String) {
        self.root = root
        resolvedRootPrefix = Self.realPath(root).map { $0.hasSuffix("/") ? $0 : $0 + "/" }
    }

    func read(_ path: String) -> Result<[UInt8], Diagnostic> {
        guard let resolvedRootPrefix else {
            return .failure(.error(FileDiagnosticCode.unreadable, "cannot resolve the project folder \(Quoting.code(root, limit: 200))", at: nil))
        }
        guard let resolved = Self.realPath(path) else {
            // Nothing read: say why as reading would (a missing file, a dangling link, no permission).
            let code = errno
            if code == ENOENT {
                return .failure(.error(FileDiagnosticCode.notFound, "no such file or directory: \(Quoting.code(path, limit: 200))", at: nil))
            }
            return .failure(.error(FileDiagnosticCode.unreadable, "cannot read \(Quoting.code(path, limit: 200)): \(String(cString: strerror(code)))", at: nil))
        }
        guard resolved.hasPrefix(resolvedRootPrefix) else {
            return .failure(.error(
                CampaignDiagnosticCode.resourceOutsideProject,
                "\(Quoting.code(path, limit: 200)) leads outside the project folder \(Quoting.code(root, limit: 200))", at: nil))
        }
        // The resolved path is read, so a link cannot be swapped in between the check and the read of its last part.
        return FileReader.read(resolved, limit: Self.limit)
    }

    /// `path` with every link, `.` and `..` resolved, or nil (with `errno` set) when it cannot be resolved.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
