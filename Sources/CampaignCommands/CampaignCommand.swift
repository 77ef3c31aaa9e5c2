import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `campaign` command: validate, compile, plan and apply push-notification campaigns kept as YAML.
public struct CampaignCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Campaigns as code: validate, compile, plan and apply CleverTap campaigns kept as YAML.",
        discussion: """
            Exit codes: 0 success, 1 errors in the input (or a failed run, or anything refused), 2 usage errors \
            (and, for `plan --detailed-exitcode`, changes to apply), 130 interrupted.
            Credentials come only from the environment: CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE, and \
            CLEVERTAP_REGION or CLEVERTAP_API_URL (or the CLEVERTAP_* variables a project.yaml environment names). \
            A project.yaml `api_url` must be a CleverTap host unless --allow-api-url (or CAMPAIGN_ALLOW_API_URL=1) is given.
            """,
        version: CampaignVersion.current,
        subcommands: [ValidateCommand.self, CompileCommand.self, PlanCommand.self, ApplyCommand.self, ReconcileCommand.self, StatusCommand.self, StateCommand.self]
    )

    /// Runs the command line and ends the process — the one exit path of every command: argument errors exit 2
    /// (not ArgumentParser's 64), lost output turns success into 1.
    public static func runAndExit() async -> Never {
        StandardStreams.ignoreBrokenPipes()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                StandardStreams.err(Array((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.usage)
            }
            if code == .success, error as? ExitCode == nil {
                // --help and --version: ArgumentParser prints them; through our checked writer.
                StandardStreams.out(Array((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(StandardStreams.finalStatus(ExitStatus.success))
            }
            if error as? ExitCode == nil {
                StandardStreams.err(Array((fullMessage(for: error) + "\n").utf8))
            }
            Foundation.exit(StandardStreams.finalStatus(code.rawValue))
        }
        Foundation.exit(StandardStreams.finalStatus(ExitStatus.success))
    }
}

/// The process exit statuses shared by every command.
enum ExitStatus {
    static let success: Int32 = 0
    /// Errors in the input, or a run that failed.
    static let failure: Int32 = 1
    /// Bad arguments.
    static let usage: Int32 = 2

    /// Ends the process at once with `status`, leaving the memory of large results to the OS instead of
    /// releasing it object by object. Standard output and error are unbuffered writes here, so nothing is lost.
    static func exitWithoutCleanup(_ status: Int32) -> Never {
        Foundation.exit(StandardStreams.finalStatus(status))
    }
}

/// The version printed by `--version`.
enum CampaignVersion {
    static let current = "0.1.0"
}

/// Writes to standard output with plain `write(2)` calls, without Foundation's copies; failures are remembered
/// (``StandardStreams``) and end the command with exit 1.
enum StandardOutput {
    static func write(_ bytes: [UInt8]) { StandardStreams.out(bytes) }
}
