import ArgumentParser
import CampaignDeploy
import CampaignEngine
import Diagnostics
import Foundation
import Logging
import Synchronization
import Workspace

/// Options shared by plan, apply, reconcile, status and state.
struct DeployOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "State file, or a postgres://user@host:port/db?sslmode=…&schema=… URL (password from PGPASSWORD or PGPASSFILE) (default: $CAMPAIGN_STATE, else the environment's `state`, else .campaign/state.json — those two relative to the project's root).",
        valueName: "path-or-url"))
    var state: String?

    @Option(help: ArgumentHelp("An environment declared in project.yaml (`environments:`).", valueName: "name"))
    var env: String?

    @Flag(help: "Log every request to standard error (the passcode is redacted).")
    var verbose = false

    @Flag(name: .customLong("allow-api-url"), help: ArgumentHelp(
        "Let a project.yaml environment's `api_url` name a host other than CleverTap's (credentials are sent there). Also CAMPAIGN_ALLOW_API_URL=1. Never in pull-request jobs."))
    var allowAPIURL = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var logger: Logger {
        let verbose = self.verbose
        var logger = Logger(label: "campaign") { label -> any LogHandler in
            verbose ? StreamLogHandler.standardError(label: label) : SwiftLogNoOpLogHandler()
        }
        logger.logLevel = verbose ? .debug : .critical
        return logger
    }

    /// The state file when it is known before the campaigns are loaded (a flag, `CAMPAIGN_STATE`, or one path's
    /// project without an environment): for reading the state while they load. nil when it needs the projects, or
    /// when the state is not a file.
    func quickStateLocation(paths: [String]) -> StateLocation? {
        if let state { return (try? StateAddress.parse(state))?.file }
        if let variable = environment["CAMPAIGN_STATE"], !variable.isEmpty { return (try? StateAddress.parse(variable))?.file }
        guard env == nil, paths.count == 1, let path = paths.first else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        let found = ProjectRoot.find(from: isDirectory.boolValue ? path : Paths.parent(path))
        guard found.projectFile != nil else { return nil }
        return try? StateLocation.resolve((found.root == "." ? "" : found.root + "/") + DeployContext.defaultStatePath)
    }

    /// ``quickStateLocation(paths:)`` as a backend: also a database named by `--state` or `CAMPAIGN_STATE`.
    func quickStateBackend(paths: [String]) -> (any StateBackend)? {
        if let text = state ?? environment["CAMPAIGN_STATE"].flatMap({ $0.isEmpty ? nil : $0 }),
            case .postgres? = try? StateAddress.parse(text) {
            return try? DeployContext.backend(StateAddress.parse(text), fromRunner: true, environmentName: env, environment: environment, logger: logger)
        }
        return quickStateLocation(paths: paths).map(FileStateBackend.init(location:))
    }

    /// The state backend of the project at `project` (for the state commands, which read no campaigns): the same
    /// rule as every other command (``DeployContext/load(paths:statePath:environmentName:environment:)``).
    func stateBackend(project: String) throws -> any StateBackend {
        do {
            let (address, fromRunner) = try DeployContext.stateOnly(project: project, statePath: state, environmentName: env, environment: environment)
            return try DeployContext.backend(address, fromRunner: fromRunner, environmentName: env, environment: environment, logger: logger)
        } catch {
            throw fail(error)
        }
    }

    /// The state backend of a loaded session.
    func stateBackend(_ context: DeployContext) throws -> any StateBackend {
        do { return try context.stateBackend(environment: environment, logger: logger) } catch { throw fail(error) }
    }

    /// Loads the campaigns and settings, printing diagnostics; exits 1 on errors in the campaigns.
    func context(paths: [String], output: DiagnosticPrinter) throws -> DeployContext {
        let context: DeployContext
        do {
            context = try DeployContext.load(paths: paths, statePath: state, environmentName: env, environment: environment)
        } catch {
            throw fail(error)
        }
        // Nothing to say is said as nothing (JSON would print an empty array before the command's own errors).
        if !context.loaded.diagnostics.isEmpty, output.emit(context.loaded.diagnostics, sources: context.loaded.sources, summary: nil) {
            throw ExitCode(ExitStatus.failure)
        }
        return context
    }

    /// The providers of the session (each reads its credentials when first asked something).
    func providers(_ context: DeployContext) -> ProviderSet {
        context.providers(environment: environment, logger: logger, allowCustomURL: allowAPIURL)
    }
}

/// Where errors that belong to no file go: the diagnostics printer of the running command, so that state, lock,
/// plan, apply and client errors render like every other diagnostic (`--format text|github|json`).
enum ErrorOutput {
    private static let current = Mutex(DiagnosticPrinter())

    /// Makes `printer` render the command's errors.
    static func use(_ printer: DiagnosticPrinter) { current.withLock { $0 = printer } }

    static var printer: DiagnosticPrinter { current.withLock { $0 } }
}

/// Reports an error that belongs to no file (`campaign: error[CODE]: message` and a hint, in text) through the
/// command's diagnostics printer and returns the failure exit code.
func fail(_ code: String, _ message: String, hint: String? = nil) -> ExitCode {
    reportDiagnostic(.error(DiagnosticCode(rawValue: code), message, at: nil, hint: hint))
    return ExitCode(ExitStatus.failure)
}

/// Prints one diagnostic through the command's printer.
func reportDiagnostic(_ diagnostic: Diagnostic) {
    _ = ErrorOutput.printer.emit([diagnostic], sources: SourceText(), summary: nil)
}

func fail(_ error: DeployError) -> ExitCode { fail(error.code, error.message, hint: error.hint) }

func fail(_ failure: ProviderFailure, prefix: String = "") -> ExitCode { fail(failure.code, prefix + failure.message, hint: failure.hint) }

func printOut(_ text: String) { StandardStreams.out(Array(text.utf8)) }
func printErr(_ text: String) { StandardStreams.err(Array(text.utf8)) }
