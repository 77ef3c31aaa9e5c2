import ArgumentParser
import CampaignDeploy
import CleverTapClient
import Diagnostics
import Foundation
import Logging
import Workspace

/// Options shared by plan, apply, reconcile, status and state.
struct DeployOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "State file (default: $CAMPAIGN_STATE, else the environment's `state`, else .campaign/state.json — those two relative to the project's root).",
        valueName: "path"))
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

    /// The state location when it is known before the campaigns are loaded (a flag, `CAMPAIGN_STATE`, or one path's
    /// project without an environment): for reading the state while they load. nil when it needs the projects.
    func quickStateLocation(paths: [String]) -> StateLocation? {
        if let state { return try? StateLocation.resolve(state) }
        if let variable = environment["CAMPAIGN_STATE"], !variable.isEmpty { return try? StateLocation.resolve(variable) }
        guard env == nil, paths.count == 1, let path = paths.first else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let found = ProjectRoot.find(from: isDirectory.boolValue ? path : Paths.parent(path))
        guard found.projectFile != nil else { return nil }
        return try? StateLocation.resolve((found.root == "." ? "" : found.root + "/") + DeployContext.defaultStatePath)
    }

    /// The state of the project at `project` (for the state commands, which read no campaigns): the same rule as
    /// every other command (``DeployContext/load(paths:statePath:environmentName:environment:)``).
    func stateLocation(project: String) throws -> StateLocation {
        do {
            return try DeployContext.stateOnly(project: project, statePath: state, environmentName: env, environment: environment)
        } catch {
            throw fail(error)
        }
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
    StandardStreams.err(Array(text.utf8))
    return ExitCode(ExitStatus.failure)
}

func fail(_ error: DeployError) -> ExitCode { fail(error.code, error.message, hint: error.hint) }

func printOut(_ text: String) { StandardStreams.out(Array(text.utf8)) }
func printErr(_ text: String) { StandardStreams.err(Array(text.utf8)) }
