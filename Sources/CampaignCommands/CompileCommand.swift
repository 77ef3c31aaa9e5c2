import ArgumentParser
import CleverTapCompiler
import Diagnostics
import Foundation
import JSON
import Parallel
import Synchronization
import Workspace

/// `campaign compile PATH... [--out DIR]`: the exact CleverTap requests the campaigns compile to.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Print the CleverTap requests the campaigns compile to.",
        discussion: """
            Prints {"requests": [...]} to standard output, ordered by campaign key and then batch; the output is \
            byte-identical across runs. With --out, writes one JSON file per request instead: KEY.json, or \
            KEY.batch-N.json for identity sends of several batches. Refuses (exit 1) when validation finds errors.
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
        if let outputFolder {
            try write(ordered.parallelMap { CleverTapCompiler.compile($0) }.flatMap { $0 }, to: outputFolder)
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
            StandardOutput.write(writer.objectWithArrayTail(isEmpty: isEmpty) + [0x0A])
        }
        // The process ends here: the campaigns are not torn down object by object (kept alive to this point, or
        // they would be freed after their last use above).
        withExtendedLifetime((loaded, ordered)) { ExitStatus.exitWithoutCleanup(ExitStatus.success) }
    }

    /// The file name of a request under the output folder.
    static func fileName(for request: CleverTapRequest) -> String {
        request.batchCount > 1 ? "\(request.key).batch-\(request.batch).json" : "\(request.key).json"
    }

    private func write(_ requests: [CleverTapRequest], to folder: String) throws {
        let manager = FileManager.default
        do {
            for request in requests {
                let url = URL(fileURLWithPath: folder).appendingPathComponent(Self.fileName(for: request))
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(JSONWriter(indent: 2).bytes(request.json) + [0x0A]).write(to: url, options: .atomic)
            }
        } catch {
            _ = output.emit([.error(FileDiagnosticCode.unwritable, "cannot write to \(Quoting.code(folder, limit: 200)): \(error.localizedDescription)", at: nil)], sources: SourceText(), summary: nil)
            throw ExitCode(ExitStatus.failure)
        }
        StandardStreams.err(Array("wrote \(DiagnosticOptions.count(requests.count, "request")) to \(folder)\n".utf8))
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
