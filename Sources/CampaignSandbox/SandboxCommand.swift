import ArgumentParser
import CleverTapSandbox
import Foundation
import Hummingbird
import Logging

extension FaultRule: ExpressibleByArgument {}

/// `campaign-sandbox`: a local CleverTap look-alike for tests, demos and benchmarks.
@main
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign-sandbox",
        abstract: "A local CleverTap API look-alike: documented validation, rate limits, a virtual clock and fault injection.",
        discussion: """
            Listens on 127.0.0.1 only. The first line on standard output is `listening on http://127.0.0.1:PORT`.
            Control endpoints: GET /_sandbox/ledger, GET /_sandbox/stats, POST|DELETE /_sandbox/faults, POST /_sandbox/clock.
            See docs/SANDBOX.md.
            """,
        version: "0.1.0"
    )

    @Option(help: "Port to listen on; 0 picks a free one.") var port = 0
    @Option(help: "The account id accepted.") var accountID = "SANDBOX-ACCOUNT"
    @Option(help: "The passcode accepted.") var passcode = "sandbox-passcode"
    @Option(help: "Sandbox seconds per real second.") var timeScale = 1.0
    @Option(help: "IANA time zone in which `when` is read.") var timezone = "UTC"
    @Option(help: "Sandbox seconds from a campaign's start to its completion.") var completionDelay = 60.0
    @Option(help: "Creates and estimates accepted per real second.") var createRate = 1.0
    @Option(help: "targets/* requests allowed in flight; one more locks the account out.") var maxConcurrentTargets = 3
    @Option(help: "Sandbox seconds of lockout after too many concurrent targets/* requests.") var lockout = 600.0
    @Option(help: "Send requests accepted per real second.") var sendRate = 1000
    @Option(help: "Real seconds each targets/* request takes.") var targetsLatency = 0.02
    @Option(help: "Append every accepted create, send and stop to this file as JSON lines.") var ledger: String?
    @Option(help: "Persist state in this file across restarts.") var data: String?
    @Option(help: ArgumentHelp("Arm a fault: ENDPOINT:MODE[:COUNT[:DELAY_SECONDS]], MODE one of fail, commit-then-drop, delay, status-fail.", valueName: "fault"))
    var fault: [FaultRule] = []
    @Option(help: "The first campaign id handed out.") var firstID = 1_457_000_001
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel = "warning"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard timeScale > 0 else { throw ValidationError("--time-scale must be positive") }
        guard TimeZone(identifier: timezone) != nil else { throw ValidationError("unknown --timezone \(timezone)") }
        guard maxConcurrentTargets >= 1, sendRate >= 1, createRate >= 0 else { throw ValidationError("limits must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() async throws {
        let configuration = SandboxConfiguration(
            accountID: accountID, passcode: passcode, timeScale: timeScale, timezone: timezone, completionDelay: completionDelay,
            createRate: createRate, maxConcurrentTargets: maxConcurrentTargets, lockout: lockout, sendRate: sendRate,
            targetsLatency: targetsLatency, ledgerPath: ledger, dataPath: data, faults: fault, firstID: firstID, port: port)
        let state: SandboxState
        do {
            state = try SandboxState(configuration: configuration)
        } catch {
            FileHandle.standardError.write(Data("campaign-sandbox: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var logger = Logger(label: "campaign-sandbox")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let app = SandboxServer.application(state: state, configuration: configuration, logger: logger) { port in
            FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(port)\n".utf8))
        }
        try await app.runService()
    }
}
