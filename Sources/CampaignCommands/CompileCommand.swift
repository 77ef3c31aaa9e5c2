import ArgumentParser
import CleverPushProvider
import CleverTapCompiler
import Diagnostics
import Foundation
import JSON
import Parallel
import Synchronization
import Workspace

/// `campaign compile PATH... [--out DIR]`: the exact requests the campaigns and resources compile to.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Print the requests the campaigns (CleverTap) and resources (CleverPush) compile to.",
        discussion: """
            Prints {"requests": [...]} to standard output, CleverTap's requests ordered by campaign key and then \
            batch, and, when there are CleverPush resources, "cleverpush": [...] after it, their requests for all \
            their members ordered by key and then batch (each with its key, type, path, batch and body); the \
            output is byte-identical across runs. With --out, writes one JSON file per request instead: KEY.json, \
            or KEY.batch-N.json for a resource of several batches. Refuses (exit 1) when validation finds errors.
            """
    )

    @Argument(help: "Campaign files or folders.", completion: .file(extensions: ["yaml", "yml"]))
    var paths: [String] = []

    @Option(name: .customLong("out"), help: ArgumentHelp("Write one file per request into this folder.", valueName: "dir"))
    var outputFolder: String?

    @OptionGroup var output: DiagnosticOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Name at least one file or folder to compile.") }
    }

    func run() throws {
        let loaded = ProjectLoader.load(paths)
        if output.emit(loaded.diagnostics, sources: loaded.sources, summary: nil) {
            throw ExitCode(ExitStatus.failure)
        }
        // Compile and serialize on all cores; the order (by key, then batch) is kept.
        var campaigns = loaded.campaigns
        if !campaigns.indices.dropFirst().allSatisfy({ campaigns[$0 - 1].key < campaigns[$0].key }) {
            campaigns.sort { $0.key < $1.key }
        }
        let ordered = campaigns
        // CleverPush resources' requests, by key and batch (keys are unique across providers and projects).
        let push = loaded.projects.flatMap { project in
            CleverPushCompiled.requests(project.cleverPush, timezone: project.context.settings.timezone, channel: project.context.cleverPush["channel_id"] ?? "{channelId}")
        }.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
        if let outputFolder {
            let files = ordered.parallelMap { CleverTapCompiler.compile($0) }.flatMap { $0 }.map { ($0, $0.json) }
                + push.map { (CleverTapRequest(key: $0.key, path: $0.path, body: $0.body, batch: $0.batch, batchCount: $0.batches), $0.json) }
            try write(files, to: outputFolder)
        } else {
            // Compiled and serialized on all cores in parts of 128 campaigns; each part is written as soon as
            // the parts before it are, and its buffer reused: no 14 MB of output is held, no request tree built.
            let writer = JSONWriter(indent: 2)
            let isEmpty = ordered.isEmpty
            StandardOutput.write(writer.objectWithArrayHead(key: "requests", isEmpty: isEmpty))
            let partSize = 128
            let parts = stride(from: 0, to: ordered.count, by: partSize).map { $0..<min($0 + partSize, ordered.count) }
            let output = OrderedOutput()
            _ = Array(parts.indices).parallelMap { part in
                let range = parts[part]
                // Each part continues the array: its first item needs a separator unless it holds the first campaign.
                var emitter = JSONTextEmitter.continuingArray(indent: 2, itemLevel: 2, hasItems: range.lowerBound > 0)
                emitter.bytes = output.buffer(capacity: range.count * 1536)
                for index in range { CleverTapCompiler.writeRequests(ordered[index], into: &emitter) }
                output.submit(emitter.bytes, at: part)
            }
            StandardOutput.write(writer.objectWithArrayTail(isEmpty: isEmpty, then: push.isEmpty ? [] : [("cleverpush", .array(push.map(\.json)))]) + [0x0A])
        }
        // The process ends here: the campaigns are not torn down object by object (kept alive to this point, or
        // they would be freed after their last use above).
        withExtendedLifetime((loaded, ordered)) { ExitStatus.exitWithoutCleanup(ExitStatus.success) }
    }

    /// The file name of a request under the output folder.
    static func fileName(for request: CleverTapRequest) -> String {
        request.batchCount > 1 ? "\(request.key).batch-\(request.batch).json" : "\(request.key).json"
    }

    /// Writes each request's JSON to its file (``fileName(for:)``) under `folder`.
    private func write(_ files: [(request: CleverTapRequest, json: JSONValue)], to folder: String) throws {
        // Every file is checked before the first is written: a refused run leaves the folder as it was.
        let requests = files.map(\.request)
        let problems = Self.outputProblems(requests, folder: folder)
        if !problems.isEmpty {
            _ = output.emit(problems, sources: SourceText(), summary: nil)
            throw ExitCode(ExitStatus.failure)
        }
        let manager = FileManager.default
        do {
            for (request, json) in files {
                let url = URL(fileURLWithPath: folder).appendingPathComponent(Self.fileName(for: request))
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(JSONWriter(indent: 2).bytes(json) + [0x0A]).write(to: url, options: .atomic)
            }
        } catch {
            _ = output.emit([.error(FileDiagnosticCode.unwritable, "cannot write to \(Quoting.code(folder, limit: 200)): \(error.localizedDescription)", at: nil)], sources: SourceText(), summary: nil)
            throw ExitCode(ExitStatus.failure)
        }
        StandardStreams.err(Array("wrote \(DiagnosticOptions.count(requests.count, "request")) to \(folder)\n".utf8))
    }
}

extension CompileCommand {
    /// What would go wrong writing `requests` as files under `folder`, found before anything is written: a file
    /// name that leaves the folder (an absolute path, an empty, `.` or `..` part), a link inside the folder that
    /// leads out of it, two requests for one file (`a/b` in two batches writes `a/b.batch-1.json`, as a key
    /// `a/b.batch-1` does), and a request's file where another request needs a folder (`a.json` and `a.json/b.json`).
    static func outputProblems(_ requests: [CleverTapRequest], folder: String) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let hint = "`--out` writes KEY.json, or KEY.batch-N.json for a send of several batches; change one of the keys"
        // File name → the key whose request it holds.
        var owners: [String: String] = [:]
        for request in requests {
            let name = fileName(for: request)
            if name.hasPrefix("/") || name.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                problems.append(.error(
                    FileDiagnosticCode.outsideOutputFolder,
                    "the request of \(Quoting.code(request.key, limit: 200)) would be written outside \(Quoting.code(folder, limit: 200)), as \(Quoting.code(name, limit: 200))",
                    at: nil, hint: "a key's `/`-separated parts must be names: not empty, `.` or `..`"))
                continue
            }
            if let other = owners[name] {
                problems.append(.error(
                    FileDiagnosticCode.outputCollision,
                    "campaigns \(Quoting.code(other, limit: 200)) and \(Quoting.code(request.key, limit: 200)) would both be written to \(Quoting.code(name, limit: 200))",
                    at: nil, hint: hint))
            } else {
                owners[name] = request.key
            }
        }
        let names = owners.keys.sorted()
        for name in names {
            var folderPart = Substring(name)
            while let slash = folderPart.lastIndex(of: "/") {
                folderPart = folderPart[..<slash]
                if let other = owners[String(folderPart)], let key = owners[name] {
                    problems.append(.error(
                        FileDiagnosticCode.outputCollision,
                        "campaign \(Quoting.code(other, limit: 200)) would be written to \(Quoting.code(String(folderPart), limit: 200)), the folder that \(Quoting.code(key, limit: 200)) needs for \(Quoting.code(name, limit: 200))",
                        at: nil, hint: hint))
                    break
                }
            }
        }
        guard problems.isEmpty, let realFolder = realPath(folder) else { return problems }
        // Links: what already exists on the way to each file must stay inside the folder once resolved, and no file
        // is written over a link. Each existing path is checked once (1,000 batches share one folder).
        var verdicts: [String: Bool] = [:]
        for name in names {
            let parts = name.split(separator: "/")
            var path = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
            for (index, part) in parts.enumerated() {
                path += "/" + part
                if let inside = verdicts[path] {
                    if inside { continue } else { break }
                }
                var info = stat()
                guard lstat(path, &info) == 0 else { break }  // nothing here, so nothing below it either
                let isLink = (info.st_mode & S_IFMT) == S_IFLNK
                let isFile = index == parts.count - 1
                let inside: Bool
                if isFile {
                    inside = !isLink
                } else if let real = realPath(path) {
                    inside = real == realFolder || real.hasPrefix(realFolder.hasSuffix("/") ? realFolder : realFolder + "/")
                } else {
                    inside = false
                }
                verdicts[path] = inside
                if !inside {
                    let key = owners[name] ?? name
                    problems.append(.error(
                        FileDiagnosticCode.outsideOutputFolder,
                        "the request of \(Quoting.code(key, limit: 200)) would be written through \(Quoting.code(path, limit: 200)), \(isFile ? "a link" : "which leads outside \(Quoting.code(folder, limit: 200))")",
                        at: nil, hint: "remove the link, or write to another folder"))
                    break
                }
            }
        }
        return problems
    }

    /// `path` with every link, `.` and `..` resolved, or nil when it cannot be resolved.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Parts of standard output made on several threads, written in order: a part is written as soon as every part
/// before it is, and its buffer is kept for another part.
final class OrderedOutput: Sendable {
    private struct State {
        var next = 0
        var waiting: [Int: [UInt8]] = [:]
        var spare: [[UInt8]] = []
        /// Whether anything was written yet (the first item written takes no separator).
        var wroteItems = false
    }

    private let state = Mutex(State())

    /// An empty buffer, reused if one is free.
    func buffer(capacity: Int) -> [UInt8] {
        var buffer = state.withLock { $0.spare.popLast() } ?? []
        buffer.reserveCapacity(capacity)
        return buffer
    }

    /// Part `index` (parts are numbered from 0): written now if every part before it is, else when they are.
    func submit(_ part: [UInt8], at index: Int) {
        state.withLock { state in
            state.waiting[index] = part
            while var ready = state.waiting.removeValue(forKey: state.next) {
                if !ready.isEmpty {
                    // A part starts with a separator unless it holds the first campaign; the first item written
                    // must not have one (only possible to need when the first parts compiled to nothing).
                    if !state.wroteItems, ready.first == UInt8(ascii: ",") {
                        StandardOutput.write(Array(ready.dropFirst()))
                    } else {
                        StandardOutput.write(ready)
                    }
                    state.wroteItems = true
                }
                ready.removeAll(keepingCapacity: true)
                state.spare.append(ready)
                state.next += 1
            }
        }
    }
}
