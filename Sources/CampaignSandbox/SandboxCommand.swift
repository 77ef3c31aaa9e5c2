import ArgumentParser
import CleverPushSandbox
import CleverTapSandbox
import PersonaClickSandbox
import Dispatch
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
            Control endpoints: GET /_sandbox/ledger (every provider), GET /_sandbox/cleverpush/ledger, GET /_sandbox/stats, POST|DELETE /_sandbox/faults, POST /_sandbox/clock.
            SIGTERM or SIGINT stops it at once, even while requests wait in a delay fault (they are not performed).
            See docs/SANDBOX.md.
            """,
        version: "0.1.0"
    )

    @Option(help: "Port to listen on; 0 picks a free one.") var port = 0
    @Option(help: "The account id accepted.") var accountID = "SANDBOX-ACCOUNT"
    @Option(help: "The passcode accepted.") var passcode = "sandbox-passcode"
    @Option(help: "Sandbox seconds per real second (0.001...1000000).") var timeScale = 1.0
    @Option(help: "IANA time zone in which `when` is read.") var timezone = "UTC"
    @Option(help: "Sandbox seconds from a campaign's start to its completion.") var completionDelay = 60.0
    @Option(help: "Creates and estimates accepted per real second.") var createRate = 1.0
    @Option(help: "targets/* requests allowed in flight; one more locks the account out.") var maxConcurrentTargets = 3
    @Option(help: "Sandbox seconds of lockout after too many concurrent targets/* requests.") var lockout = 600.0
    @Option(help: "Send requests accepted per real second.") var sendRate = 1000
    @Option(help: "Real seconds each targets/* request takes (at most 60).") var targetsLatency = 0.02
    @Option(help: "Append every accepted change (CleverTap's creates, sends and stops; CleverPush's syncs, tags, unsubscribes and sends) to this file as JSON lines, each naming its provider.") var ledger: String?
    @Option(help: "Persist state in this file across restarts.") var data: String?
    @Option(help: ArgumentHelp(
        "Arm a fault: ENDPOINT:MODE[:COUNT[:DELAY_SECONDS]], MODE one of fail, commit-then-drop, delay, status-fail, empty-success; delay needs DELAY_SECONDS (at most 3600).",
        valueName: "fault"))
    var fault: [FaultRule] = []
    @Option(help: "The first campaign id handed out (at least 1).") var firstID = 1_457_000_001
    @Option(help: "A custom control group the account defines (repeatable).") var controlGroup: [String] = []
    @Option(help: ArgumentHelp("A provider the account has: CHANNEL:NICKNAME, CHANNEL one of push, webpush, email, sms (repeatable).", valueName: "provider"))
    var provider: [String] = []
    @Option(help: "Sandbox time at start, ISO 8601 (default: now), e.g. 2025-01-01T00:00:00Z.") var startTime: String?
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel = "warning"
    @Option(help: "CleverPush: the channel id served.") var cleverpushChannel = "SANDBOXCHANNEL"
    @Option(help: "CleverPush: the private API key accepted in `Authorization`.") var cleverpushKey = "sandbox-private-key"
    @Option(help: "CleverPush: requests accepted per second; one more is answered 429 with Retry-After.") var cleverpushRate = 1000
    @Option(help: ArgumentHelp("CleverPush: a tag of the channel, ID:NAME (repeatable; replaces the defaults).", valueName: "tag")) var cleverpushTag: [String] = []
    @Option(help: ArgumentHelp("CleverPush: a custom attribute the channel defines (repeatable; replaces the defaults).", valueName: "name")) var cleverpushAttribute: [String] = []

    @Option(help: "PersonaClick: the shop id served.") var personaclickShopId = "SANDBOX-SHOP"
    @Option(help: "PersonaClick: the shop secret accepted (in a POST's body, or a GET's X-Shop-Secret).") var personaclickShopSecret = "sandbox-shop-secret"
    @Option(help: "PersonaClick: requests accepted per second; one more is answered 429 with Retry-After.") var personaclickRate = 1000
    @Flag(help: "PersonaClick: double opt-in off (`confirm_email` answers 400).") var personaclickNoDoubleOptIn = false

    var personaClickConfiguration: PersonaClickSandboxConfiguration {
        PersonaClickSandboxConfiguration(shopID: personaclickShopId, shopSecret: personaclickShopSecret, rate: personaclickRate,
                                         doubleOptIn: !personaclickNoDoubleOptIn)
    }

    var cleverPushConfiguration: CleverPushSandboxConfiguration {
        var configuration = CleverPushSandboxConfiguration(channelID: cleverpushChannel, privateKey: cleverpushKey, rate: cleverpushRate)
        if !cleverpushTag.isEmpty { configuration.tags = CleverPushSandboxConfiguration.pairs(cleverpushTag) }
        if !cleverpushAttribute.isEmpty { configuration.customAttributes = cleverpushAttribute }
        return configuration
    }

    /// Seconds the server gets to stop after a signal before the process exits regardless.
    static let stopGrace: Double = 3

    var sandboxConfiguration: SandboxConfiguration {
        SandboxConfiguration(
            accountID: accountID, passcode: passcode, timeScale: timeScale, timezone: timezone, completionDelay: completionDelay,
            createRate: createRate, maxConcurrentTargets: maxConcurrentTargets, lockout: lockout, sendRate: sendRate,
            targetsLatency: targetsLatency, ledgerPath: ledger, dataPath: data, faults: fault, firstID: firstID, port: port,
            customControlGroups: controlGroup, providers: providers, startTime: startTime.flatMap { try? Date($0, strategy: .iso8601) })
    }

    /// `--provider CHANNEL:NICKNAME` values by channel.
    var providers: [String: [String]] {
        provider.reduce(into: [:]) { result, value in
            guard let colon = value.firstIndex(of: ":") else { return }
            result[String(value[..<colon]), default: []].append(String(value[value.index(after: colon)...]))
        }
    }

    func validate() throws {
        guard TimeZone(identifier: timezone) != nil else { throw ValidationError("unknown --timezone \(timezone)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        for value in provider where !value.contains(":") || value.hasSuffix(":") {
            throw ValidationError("--provider \(value): expected CHANNEL:NICKNAME")
        }
        if let startTime, (try? Date(startTime, strategy: .iso8601)) == nil {
            throw ValidationError("--start-time \(startTime): expected ISO 8601, e.g. 2025-01-01T00:00:00Z")
        }
        do {
            try sandboxConfiguration.validate()
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let configuration = sandboxConfiguration
        let state: SandboxState
        do {
            state = try SandboxState(configuration: configuration)
        } catch {
            FileHandle.standardError.write(Data("campaign-sandbox: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var logger = Logger(label: "campaign-sandbox")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        // One ledger for every provider: one sequence, one `--ledger` file, one `--data` snapshot of it.
        let pushState = CleverPushSandboxState(configuration: cleverPushConfiguration, ledger: state.ledger)
        let clickState = PersonaClickSandboxState(configuration: personaClickConfiguration, ledger: state.ledger)
        let app = SandboxServer.application(state: state, configuration: configuration, logger: logger, mount: {
            CleverPushRoutes.mount(on: $0, state: pushState)
            PersonaClickRoutes.mount(on: $0, state: clickState)
        }) { port in
            FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(port)\n".utf8))
        }
        // Not the graceful shutdown of `runService`: that waits for every request in flight, and one sleeping in a
        // delay fault would hold the process for up to an hour. A signal cancels the server instead (sleeping
        // requests end unperformed; every accepted change is already persisted), and if that has not finished
        // within `stopGrace` seconds the process exits anyway.
        let service = Task { try await app.runService(gracefulShutdownSignals: []) }
        let signals = [Int32(SIGTERM), Int32(SIGINT)].map { (number: Int32) -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                service.cancel()
                DispatchQueue.global().asyncAfter(deadline: .now() + Self.stopGrace) {
                    FileHandle.standardError.write(Data("campaign-sandbox: did not stop within \(Int(Self.stopGrace)) s of the signal; exiting\n".utf8))
                    _exit(1)
                }
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await service.value
        } catch {
            // Cancelled by a signal: a normal stop.
            if !service.isCancelled { throw error }
        }
    }
}
