import ArgumentParser
import CampaignDeploy
import CleverTapClient
import Diagnostics
import Foundation
import Logging

/// Options shared by plan, apply, reconcile, status and state.
struct DeployOptions: ParsableArguments {
    @Option(help: ArgumentHelp("State file (default: $CAMPAIGN_STATE, the environment's `state`, or .campaign/state.json).", valueName: "path"))
    var state: String?

    @Option(help: ArgumentHelp("An environment declared in project.yaml (`environments:`).", valueName: "name"))
    var env: String?

    @Flag(help: "Log every request to standard error (the passcode is redacted).")
    var verbose = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var logger: Logger {
        let verbose = self.verbose
        var logger = Logger(label: "campaign") { label -> any LogHandler in
            verbose ? StreamLogHandler.standardError(label: label) : SwiftLogNoOpLogHandler()
        }
        logger.logLevel = verbose ? .debug : .critical
        return logger
    }

    /// Loads the campaigns and settings, printing diagnostics; exits 1 on errors in the campaigns.
    func context(paths: [String], output: DiagnosticPrinter) throws -> DeployContext {
        let context: DeployContext
        do {
            context = try DeployContext.load(paths: paths, statePath: state, environmentName: env, environment: environment)
        } catch {
            throw fail(error)
        }
        if output.emit(context.loaded.diagnostics, sources: context.loaded.sources, summary: nil) {
            throw ExitCode(ExitStatus.failure)
        }
        return context
    }

    /// A client, or exit 1 with the reason (missing credentials, unknown region).
    func client(_ context: DeployContext) throws -> CleverTapClient {
        do {
            return try context.client(environment: environment, logger: logger)
        } catch {
            throw fail(error.code, error.message)
        }
    }
}

/// Prints `campaign: error[CODE]: message` (and a hint) to standard error and returns the failure exit code.
func fail(_ code: String, _ message: String, hint: String? = nil) -> ExitCode {
    var text = "campaign: error[\(code)]: \(message)\n"
    if let hint { text += "  hint: \(hint)\n" }
    FileHandle.standardError.write(Data(text.utf8))
    return ExitCode(ExitStatus.failure)
}

func fail(_ error: DeployError) -> ExitCode { fail(error.code, error.message, hint: error.hint) }

func printOut(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
func printErr(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
