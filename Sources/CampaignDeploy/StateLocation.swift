#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Workspace

/// Where a state file is: the path as the user gave (or the project implied) it, and the real path that every read,
/// lock and write goes to. A state reached through a symbolic link is locked and written at its target, so two
/// runs that name it differently still exclude each other, and a save never replaces the link with a file.
public struct StateLocation: Sendable, Hashable {
    /// As shown in messages.
    public var path: String
    /// Absolute, with every symbolic link resolved (the file itself may not exist yet).
    public var resolved: String

    /// Resolves `path` (relative to the current directory). Refuses a path that exists but is not a regular file
    /// (a folder, a FIFO, a device): reading one could block forever or mean nothing.
    public static func resolve(_ path: String) throws(DeployError) -> StateLocation {
        guard !path.isEmpty else { throw DeployError("S005", "the state path is empty") }
        guard !path.utf8.contains(0) else { throw DeployError("S005", "the state path contains a NUL byte") }
        var current = path
        // Follow links one by one (a link may point at a file that does not exist yet: the first apply creates it).
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0 else { break }
            if info.st_mode & S_IFMT == S_IFLNK {
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(current, &buffer, buffer.count - 1)
                guard count > 0 else { throw DeployError("S005", "cannot read the symbolic link \(path): \(String(cString: strerror(errno)))") }
                let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                current = target.hasPrefix("/") ? target : Paths.parent(current) + "/" + target
                continue
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw DeployError("S001", "the state \(path) is not a regular file", hint: "name a state file (it is created by the first `apply --init-state`)")
            }
            break
        }
        var info = stat()
        if lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            throw DeployError("S005", "the state \(path) is a chain of more than 40 symbolic links")
        }
        // The folder is resolved by the system; the file's own name is kept.
        let folder = Paths.parent(current)
        let name = lastComponent(current)
        guard !name.isEmpty, name != ".", name != ".." else { throw DeployError("S005", "the state path \(path) does not name a file") }
        let realFolder: String
        if let real = realpath(folder, nil) {
            realFolder = String(cString: real)
            free(real)
        } else {
            // Created at the first save; resolved as far as it exists.
            realFolder = Paths.absoluteNormalized(folder)
        }
        return StateLocation(path: path, resolved: (realFolder == "/" ? "" : realFolder) + "/" + name)
    }

    /// Whether the state file exists.
    public var exists: Bool {
        var info = stat()
        return stat(resolved, &info) == 0
    }

    private static func lastComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
