import ArgumentParser
import CampaignDeploy
import CampaignEngine
import Diagnostics
import Dispatch
import Foundation
import JSON
import Synchronization
import Workspace

/// `campaign apply [PATH... | PLANFILE]`: does what the plan says, recording every step.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a plan: create, send, replace, stop, move and forget, recording every step in state.",
        discussion: """
            With campaign paths: plans, shows the plan and asks for confirmation (unless --auto-approve; without a \
            terminal, --auto-approve is required). With a file saved by `campaign plan --out`: applies exactly that \
            plan, and refuses it if the state or the campaign files changed since, or if it was applied already.
            Before every create, send batch and stop an intent is saved; a request whose outcome is unknown leaves \
            the campaign `unknown` until `campaign reconcile` or `campaign state resolve`.
            The first Ctrl-C lets the request in flight finish (and a send batch whose intent was already recorded with \
            the previous outcome), saves state and exits 130; a second exits at once.
            Exit status: 0 all applied, 1 anything failed, unknown or refused, 130 interrupted.
            """
    )

    @Argument(help: "Campaign files or folders (default: campaigns), or one saved plan file.") var paths: [String] = ["campaigns"]
    @Flag(help: "Apply without asking.") var autoApprove = false
    @Flag(help: "Allow a first apply when the state does not exist yet (it is created); without it, a missing state is refused.")
    var initState = false
    @OptionGroup var deploy: DeployOptions
    @OptionGroup var output: DiagnosticOptions

    /// A saved plan is a single existing file that is not YAML.
    var savedPlanPath: String? {
        guard paths.count == 1, let path = paths.first, !path.hasSuffix(".yaml"), !path.hasSuffix(".yml") else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { return nil }
        return path
    }

    func run() async throws {
        ErrorOutput.use(output.printer)
        let interrupts = Interrupts.install()
        let saved: SavedPlan?
        if let planPath = savedPlanPath {
            guard case .success(let bytes) = FileReader.read(planPath, limit: 1 << 30), let json = try? JSONParser().parse(bytes) else {
                throw fail("S030", "cannot read the plan file \(planPath) (a saved plan is a JSON file written by `campaign plan --out`)")
            }
            do { saved = try SavedPlan(json: json) } catch { throw fail(error) }
        } else {
            saved = nil
        }
        let context = try deploy.context(paths: saved?.paths ?? paths, output: output.printer)
        let backend = try deploy.stateBackend(context)
        let lease: any StateLease
        do {
            lease = try await backend.lease(command: "campaign apply")
        } catch {
            throw fail(error)
        }
        let made = try await PlanCommand.makePlan(context: context, deploy: deploy, refresh: false, estimate: false, read: { () async throws(DeployError) in try await lease.read() })
        if !made.stateExists, !initState {
            throw fail("S012", "the state \(context.statePath) does not exist: applying would create and send every campaign as new",
                       hint: "check --state, --env and CAMPAIGN_STATE; if this is the project's first apply, pass --init-state")
        }
        let plan = made.plan
        if let saved {
            // The saved plan is not trusted: the files and state must be as they were, and the plan made again now must
            // match it action for action. What is applied is the plan made now.
            if let stale = saved.staleness(state: made.stateExists ? made.state : nil, inputsHash: context.inputsHash) { throw fail(stale) }
            if let difference = saved.difference(from: plan) { throw fail(difference) }
            printOut(PlanRenderer.text(plan, colors: output.printer.useColorsOnStdout))
        } else {
            printOut(PlanRenderer.text(plan, colors: output.printer.useColorsOnStdout))
            if !plan.hasChanges && plan.observations.isEmpty {
                await lease.release()
                printOut("No changes.\n")
                if plan.hasRefusals { throw ExitCode(ExitStatus.failure) }
                return
            }
            if !autoApprove {
                guard isatty(STDIN_FILENO) != 0 else {
                    throw fail("S050", "refusing to apply without confirmation: no terminal to ask on", hint: "review the plan and pass --auto-approve, or apply a saved plan")
                }
                printOut("Apply these changes? Only 'yes' is accepted: ")
                guard readLine() == "yes" else {
                    printOut("Apply cancelled.\n")
                    throw ExitCode(ExitStatus.failure)
                }
            }
        }
        if !plan.hasChanges && plan.observations.isEmpty && saved == nil {
            await lease.release()
            printOut("No changes.\n")
            return
        }
        let providers = deploy.providers(context)
        let journal = await lease.writer(made.state)
        if !made.stateExists {
            // --init-state: the first state is written now, under the lock, before any request (and only if no state
            // appeared meanwhile).
            do { try await journal.create() } catch { throw fail(error) }
        }
        let terminal = isatty(STDOUT_FILENO) != 0
        let progress = Progress(terminal: terminal)
        let applier = Applier(providers: providers, journal: journal, events: { progress.handle($0) }, isCancelled: { interrupts.requested })
        let report = await applier.apply(plan)
        await providers.shutdown()
        // The journal's lines go into the state file now (a run that dies before this leaves them for the next run).
        do { try await journal.finish() } catch { throw fail(error) }
        if let saved, report.succeeded {
            do {
                try await journal.updateAll { $0.appliedPlans.append(saved.id) }
            } catch {
                throw fail(error)
            }
        }
        var summary = "Apply \(report.interrupted ? "interrupted" : report.stopped ? "stopped" : "complete"): \(report.done.count) done, \(report.failed.count) failed, \(report.unknown.count) unknown"
        if plan.hasRefusals { summary += ", \(plan.count(.refused)) refused (not touched)" }
        if !report.memberFailures.isEmpty { summary += ", \(report.memberFailures.count) row\(report.memberFailures.count == 1 ? "" : "s") failed (not recorded; the next apply does them again)" }
        printOut(summary + "\n")
        // Rows refused one by one: the first 20 shown and the rest counted; with `--format json`, every one.
        let shownRows = output.format == .json ? report.memberFailures.count : Self.shownMemberFailures
        for (key, row) in report.memberFailures.prefix(shownRows) {
            reportDiagnostic(.error("A003", "\(key): row \(row.member): \(row.failure.code): \(row.failure.message)", at: nil, hint: row.failure.hint))
        }
        if report.memberFailures.count > shownRows {
            printOut("... and \(report.memberFailures.count - shownRows) more failed rows (`--format json` lists every one)\n")
        }
        for (key, message) in report.failed { reportDiagnostic(.error("A001", "\(key): \(message)", at: nil)) }
        for (key, message) in report.unknown {
            reportDiagnostic(.error("A002", "\(key): outcome unknown: \(message)", at: nil, hint: "run `campaign reconcile` before applying again"))
        }
        await lease.release()
        if report.interrupted { throw ExitCode(130) }
        if !report.succeeded || plan.hasRefusals { throw ExitCode(ExitStatus.failure) }
    }
}

extension ApplyCommand {
    /// How many failed rows an apply lists.
    static let shownMemberFailures = 20
}

/// Progress: on a terminal, done/total, rate and ETA on one line; otherwise one line per action.
final class Progress: Sendable {
    let terminal: Bool
    private let started = Mutex<[String: ContinuousClock.Instant]>([:])

    init(terminal: Bool) { self.terminal = terminal }

    func handle(_ event: ApplyEvent) {
        switch event {
        case .started(let key, _, _):
            started.withLock { $0[key] = .now }
        case .request(let key, let done, let total):
            guard terminal, total > 1, let start = started.withLock({ $0[key] }) else { return }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = seconds > 0 ? Double(done) / seconds : 0
            let eta = rate > 0 ? Double(total - done) / rate : 0
            printOut(String(format: "\r  %@: %d/%d requests, %.0f/s, ETA %.0f s   ", key, done, total, rate, eta))
        case .finished(let key, let action, let outcome):
            if terminal { printOut("\r\u{1B}[K") }
            printOut("\(key): \(action.rawValue): \(outcome)\n")
        }
    }
}

/// Ctrl-C handling: the first SIGINT (or SIGTERM) asks the run to stop after the request in flight; the second exits.
final class Interrupts: Sendable {
    private let count = Mutex(0)
    /// Signal sources must stay alive; they are set once, at start, from the main task.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    var requested: Bool { count.withLock { $0 > 0 } }

    static func install() -> Interrupts {
        let interrupts = Interrupts()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let seen = interrupts.count.withLock { value -> Int in
                    value += 1
                    return value
                }
                if seen == 1 {
                    printErr("\ninterrupted: finishing the request in flight and saving state (Ctrl-C again to quit at once)\n")
                } else {
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
        return interrupts
    }
}
