import ArgumentParser
import Diagnostics
import Foundation
import Workspace

/// `campaign validate PATH...`: checks campaign files and reports every problem.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check campaign files and report every problem, with positions.",
        discussion: """
            Folders are searched recursively for *.yaml and *.yml files; project.yaml (in the folder or above) \
            supplies the time zone and defaults. Diagnostics go to standard error.
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
        let loaded = ProjectLoader.load(paths)
        let failed = output.emit(
            loaded.diagnostics, sources: loaded.sources,
            summary: "validated \(DiagnosticOptions.count(loaded.campaigns.count + loaded.cleverPush.count + loaded.personaClick.count, "campaign")) in \(DiagnosticOptions.count(loaded.fileCount, "file"))")
        // Like a compiler's -disable-free: the process ends here, so skip tearing down 10,000 campaigns.
        withExtendedLifetime(loaded) { ExitStatus.exitWithoutCleanup(failed ? ExitStatus.failure : ExitStatus.success) }
    }
}
