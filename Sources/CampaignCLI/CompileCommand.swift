import ArgumentParser
import CleverTapCompiler
import Diagnostics
import Foundation
import JSON
import Parallel
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
            // Compiled and serialized in parallel slices, each request freed as soon as it is written, and the
            // slices written in order: no 14 MB buffer to assemble and copy, no 10,000 request trees kept.
            let writer = JSONWriter(indent: 2)
            let parts = ordered.parallelSlices { range -> [UInt8] in
                // Each slice continues the array: its first item needs a separator unless it holds the first campaign.
                var emitter = JSONTextEmitter.continuingArray(indent: 2, itemLevel: 2, hasItems: range.lowerBound > 0, capacity: range.count * 1536)
                for index in range { CleverTapCompiler.writeRequests(ordered[index], into: &emitter) }
                return emitter.bytes
            }
            let isEmpty = parts.allSatisfy(\.isEmpty)
            StandardOutput.write(writer.objectWithArrayHead(key: "requests", isEmpty: isEmpty))
            var wroteItems = false
            for part in parts where !part.isEmpty {
                // A part starts with a separator unless it holds the first campaign; the first item written must
                // not have one (only possible to need when the first parts compiled to nothing).
                if !wroteItems, part.first == UInt8(ascii: ",") {
                    StandardOutput.write(Array(part.dropFirst()))
                } else {
                    StandardOutput.write(part)
                }
                wroteItems = true
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
        FileHandle.standardError.write(Data("wrote \(DiagnosticOptions.count(requests.count, "request")) to \(folder)\n".utf8))
    }
}
