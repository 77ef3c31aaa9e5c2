import ArgumentParser
import Diagnostics
import Foundation
import Workspace
import YAMLFrontEnd

/// `campaign validate PATH...`: checks campaign files and reports every problem.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check campaign files and report every problem, with positions.",
        discussion: """
            Folders are searched recursively for *.yaml and *.yml files. Diagnostics go to standard error.
            Exit status: 0 when there are no errors, 1 when there is any error, 2 for usage errors.
            """
    )

    @Argument(help: "Campaign files or folders.", completion: .file(extensions: ["yaml", "yml"]))
    var paths: [String] = []

    @OptionGroup var output: DiagnosticOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("Name at least one file or folder to validate.") }
    }

    func run() throws {
        let result = SyntaxCheck.run(paths: paths)
        let failed = output.emit(result.diagnostics, sources: result.sources, summary: "validated \(DiagnosticOptions.count(result.fileCount, "file"))")
        if failed { throw ExitCode(ExitStatus.failure) }
    }
}

/// Reads and parses every file named (in parallel); the well-formedness check behind `validate`.
enum SyntaxCheck {
    struct Result {
        var diagnostics: [Diagnostic]
        var sources: SourceText
        var fileCount: Int
    }

    static func run(paths: [String], limits: YAMLLimits = YAMLLimits()) -> Result {
        let (files, discovery) = SourceDiscovery.expand(paths)
        let parsed = files.parallelMap { path -> (path: String, bytes: [UInt8]?, diagnostics: [Diagnostic]) in
            switch FileReader.read(path, limit: limits.maxFileSize) {
            case .failure(let diagnostic):
                return (path, nil, [diagnostic])
            case .success(let bytes):
                return (path, bytes, YAMLParser.parse(bytes, file: path, limits: limits).diagnostics)
            }
        }
        var diagnostics = discovery
        var sources = SourceText()
        for file in parsed {
            diagnostics += file.diagnostics
            if !file.diagnostics.isEmpty, let bytes = file.bytes { sources.add(path: file.path, bytes: bytes) }
        }
        return Result(diagnostics: diagnostics, sources: sources, fileCount: files.count)
    }
}
