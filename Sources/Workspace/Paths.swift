#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Path arithmetic on strings, without Foundation's URL machinery (which dominates a 10,000-file run otherwise).
public enum Paths {
    /// The current directory, read once.
    static let currentDirectory: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// The last component of `path` (`a/b.yaml` → `b.yaml`).
    static func lastComponent(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// The folder holding `path`, `.` when it has none.
    public static func parent(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// ``absolute(_:)`` for other modules: `path` made absolute, `.`, `..` and repeated slashes resolved (symbolic
    /// links are not).
    public static func absoluteNormalized(_ path: String) -> String { absolute(path) }

    /// `path` made absolute against the current directory, with `.`, `..` and repeated slashes resolved.
    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : currentDirectory + "/" + path
        if isNormal(full) { return full }
        var parts: [Substring] = []
        for part in full.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// True when `path` (absolute) has no `.` or `..` component, no repeated or trailing slash: nothing to resolve.
    static func isNormal(_ path: String) -> Bool {
        isNormal(path.utf8, afterSlash: false)
    }

    /// `isNormal` for path bytes; `afterSlash` when they continue a path after a `/` (a relative remainder).
    private static func isNormal<Bytes: Sequence<UInt8>>(_ bytes: Bytes, afterSlash: Bool) -> Bool {
        var previous: UInt8 = afterSlash ? UInt8(ascii: "/") : 0
        var dots = 0
        for byte in bytes {
            if byte == UInt8(ascii: "/") {
                if previous == UInt8(ascii: "/") || (dots > 0 && dots <= 2) { return false }
                dots = 0
            } else if byte == UInt8(ascii: ".") {
                if previous == UInt8(ascii: "/") || dots > 0 { dots += 1 }
            } else {
                dots = 0
            }
            previous = byte
        }
        return previous != UInt8(ascii: "/") && !(dots > 0 && dots <= 2)
    }

    /// The rest of `path` after `folder/` when `path` starts with it and the rest needs no resolving (no `.`, `..`
    /// or empty component), else nil. Spares making both absolute when a file was found by walking `folder`.
    static func remainder(of path: String, below folder: String) -> String? {
        let bytes = path.utf8
        guard !folder.isEmpty, bytes.starts(with: folder.utf8) else { return nil }
        var start = bytes.index(bytes.startIndex, offsetBy: folder.utf8.count)
        if !folder.hasSuffix("/") {
            guard start < bytes.endIndex, bytes[start] == UInt8(ascii: "/") else { return nil }
            start = bytes.index(after: start)
        }
        let rest = bytes[start...]
        guard !rest.isEmpty, isNormal(rest, afterSlash: true) else { return nil }
        return String(Substring(rest))
    }

    /// What kind of thing is at `path` (following symbolic links), or nil when nothing is.
    enum Kind { case file, directory, other }

    static func kind(_ path: String) -> Kind? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// What a walk of a folder found.
    struct Walk {
        /// Files whose name passed the filter, as `folder/relative/path`, sorted.
        var files: [String] = []
        /// Folders that could not be opened (permissions, I/O errors), sorted.
        var unreadable: [String] = []
        /// Files passed over although they look like what was asked for (see `lookalike`), sorted.
        var passedOver: [String] = []
    }

    /// Every file below `folder` whose name passes `include`. Hidden entries are skipped; symbolic links to folders
    /// are not followed (no cycles). A folder that cannot be opened is reported, never skipped silently; files whose
    /// name passes `lookalike` but not `include` (hidden ones included) are reported as passed over.
    static func walk(_ folder: String, include: (String) -> Bool, lookalike: (String) -> Bool = { _ in false }) -> Walk {
        let base = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        var walk = Walk()
        var pending = [base]
        while let current = pending.popLast() {
            guard let directory = opendir(current) else {
                walk.unreadable.append(current)
                continue
            }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                    pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                let hidden = name.hasPrefix(".")
                let path = current + "/" + name
                var type = entry.pointee.d_type
                if hidden && !(type == UInt8(DT_REG) || type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN)) { continue }
                if type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) {
                    var info = stat()
                    // Links to files count; links to folders are not followed.
                    let statResult = type == UInt8(DT_LNK) ? stat(path, &info) : lstat(path, &info)
                    guard statResult == 0 else { continue }
                    let mode = info.st_mode & S_IFMT
                    if mode == S_IFREG {
                        type = UInt8(DT_REG)
                    } else if mode == S_IFDIR {
                        if type == UInt8(DT_LNK) { continue }
                        type = UInt8(DT_DIR)
                    } else {
                        type = UInt8(DT_FIFO)  // any special file
                    }
                }
                if type != UInt8(DT_DIR) && type != UInt8(DT_REG) {
                    // A FIFO, socket or device by a campaign's name is listed, so that reading it reports it (never
                    // waits on it): skipping it silently would make its campaigns look removed.
                    if !hidden, include(name) { walk.files.append(path) }
                    continue
                }
                if type == UInt8(DT_DIR) {
                    if !hidden { pending.append(path) }
                } else if type == UInt8(DT_REG) {
                    if !hidden, include(name) {
                        walk.files.append(path)
                    } else if lookalike(name) {
                        walk.passedOver.append(path)
                    }
                }
            }
        }
        walk.files.sort()
        walk.unreadable.sort()
        walk.passedOver.sort()
        return walk
    }
}
