import ArgumentParser
import PersonaClickClient
import PersonaClickProvider
import CampaignDeploy
import CampaignEngine
import Diagnostics
import Foundation
import JSON

/// `campaign reconcile`: settles campaigns whose last request has an unknown outcome.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Settle campaigns left `unknown` by a lost answer or a crash, using the provider's listing.",
        discussion: "A lost create is found in list.json by exact name and scheduled date and its id adopted; not found, it stays unknown. Exit 1 while anything stays unknown."
    )

    @Argument(help: "Campaign files or folders (for project.yaml's settings; default: campaigns).") var paths: [String] = ["campaigns"]
    @OptionGroup var deploy: DeployOptions
    @OptionGroup var output: DiagnosticOptions

    func run() async throws {
        ErrorOutput.use(output.printer)
        let context = try deploy.context(paths: paths, output: output.printer)
        let backend = try deploy.stateBackend(context)
        let lease: any StateLease
        let state: EngineState
        do {
            lease = try await backend.lease(command: "campaign reconcile")
            state = try await lease.read() ?? EngineState()
        } catch {
            throw fail(error)
        }
        let unknown = state.campaigns.filter { $0.value.status == .unknown || $0.value.intent != nil }
        if unknown.isEmpty {
            await lease.release()
            printOut("Nothing to reconcile.\n")
            return
        }
        let providers = deploy.providers(context)
        let journal = await lease.writer(state)
        let findings: [Reconciler.Finding]
        do {
            findings = try await Reconciler.reconcile(journal: journal, providers: providers, desired: Dictionary(context.desired.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first }))
        } catch let error as ProviderFailure {
            await providers.shutdown()
            throw fail(error)
        } catch let error as DeployError {
            await providers.shutdown()
            throw fail(error)
        } catch {
            await providers.shutdown()
            throw fail("S099", "reconcile failed: \(error)")
        }
        await providers.shutdown()
        do { try await journal.finish() } catch { throw fail(error) }
        await lease.release()
        for finding in findings { printOut("\(finding.key): \(finding.outcome)\n") }
        if findings.contains(where: { !$0.settled }) { throw ExitCode(ExitStatus.failure) }
    }
}

/// `campaign status`: every campaign in state, with live status and statistics.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "A table of every campaign in state with its live status and statistics.",
        discussion: """
            For PersonaClick: contacts per subscription flag, from state; with --changes SINCE (YYYY-MM-DD) the change \
            feed since then per day, event and channel. --format json or markdown (with a Mermaid chart of \
            unsubscribes per day) for reports.
            """
    )

    /// The formats of `status`. `github` (kept from when `--format` named only the diagnostics' format) is the text
    /// table with problems as GitHub Actions annotations.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown, github
    }

    @Argument(help: "Campaign files or folders (for project.yaml's settings; default: campaigns).") var paths: [String] = ["campaigns"]
    @Flag(help: "Do not query the provider; show state only.") var offline = false
    @Option(help: ArgumentHelp("PersonaClick: summarise the change feed since this day (YYYY-MM-DD).", valueName: "since")) var changes: String?
    @Option(help: "Output: text, json, markdown, or github (text, problems as GitHub Actions annotations).") var format: Format = .text
    @Option(help: "Colour: auto (only on a terminal, unless NO_COLOR is set), always or never.") var color: ColorMode = .auto
    @OptionGroup var deploy: DeployOptions

    var printer: DiagnosticPrinter {
        DiagnosticPrinter(format: format == .json ? .json : format == .github ? .github : .text, color: color)
    }

    func run() async throws {
        ErrorOutput.use(printer)
        if let changes, PersonaClickChange.parse(changes + "T00:00:00") == nil {
            throw fail("S070", "--changes wants a day, YYYY-MM-DD, not `\(Quoting.sanitize(changes, limit: 40))`")
        }
        let context = try deploy.context(paths: paths, output: printer)
        let backend = try deploy.stateBackend(context)
        let found: EngineState?
        do { found = try await backend.read() } catch { throw fail(error) }
        guard var state = found else { throw fail("S012", "the state \(context.statePath) does not exist", hint: "check --state, --env and CAMPAIGN_STATE") }
        var notes: [String: String] = [:]
        let providers = deploy.providers(context)
        if !offline, LiveData.isNeeded(for: state, rules: context.rules, refresh: false) {
            do {
                let live = try await LiveData.gather(state: state, providers: providers, rules: context.rules, refresh: false)
                for (key, status) in live {
                    guard var record = state.campaigns[key] else { continue }
                    Planner.observe(status, on: &record)
                    state.campaigns[key] = record
                    if status == .stoppedOutside { notes[key] = "stopped outside campaign-as-code" }
                }
            } catch {
                await providers.shutdown()
                throw fail(error, prefix: "reading live data: ")
            }
        }
        // PersonaClick: counts from state; the feed only when asked for.
        let hasPersonaClick = state.campaigns.values.contains { $0.provider == PersonaClickRules.name } || !context.loaded.personaClick.isEmpty
        var rows: [PersonaClickStatus.ChangeRow]?
        if let changes, !offline {
            do throws(ProviderFailure) {
                guard let runtime = try await providers.runtime(PersonaClickRules.name) as? PersonaClickRuntime else { throw ProviderFailure(code: "PC-CONFIG", message: "no PersonaClick runtime") }
                rows = PersonaClickStatus.summarise(try await runtime.changes(since: changes))
            } catch {
                await providers.shutdown()
                throw fail(error, prefix: "reading PersonaClick's change feed: ")
            }
        }
        await providers.shutdown()
        let counts = PersonaClickStatus.counts(state)
        switch format {
        case .text, .github:
            printOut(StateTable.render(state, notes: notes))
            if hasPersonaClick || rows != nil { printOut(PersonaClickStatus.text(counts, changes: rows, since: changes)) }
        case .json:
            var fields: [(String, JSONValue)] = [("records", .array(state.campaigns.sorted { $0.key < $1.key }.map { key, record in
                .object([("key", .string(key)), ("provider", .string(record.provider)), ("kind", .string(record.kind)), ("status", .string(record.status.rawValue)),
                         ("id", record.id.map(JSONValue.string) ?? .null), ("members", .int(record.deliveredCount)), ("note", notes[key].map(JSONValue.string) ?? .null)])
            }))]
            if hasPersonaClick || rows != nil { fields.append(("personaclick", PersonaClickStatus.json(counts, changes: rows, since: changes))) }
            printOut(JSONWriter(indent: 2).string(.object(fields)) + "\n")
        case .markdown:
            var out = "### Campaign status\n\n| key | kind | status | members |\n|---|---|---|---:|\n"
            for (key, record) in state.campaigns.sorted(by: { $0.key < $1.key }) {
                out += "| `\(key)` | \(record.kind) | \(record.status.rawValue) | \(record.deliveredCount) |\n"
            }
            if hasPersonaClick || rows != nil { out += "\n" + PersonaClickStatus.markdown(counts, changes: rows, since: changes) }
            printOut(out)
        }
    }
}

/// `campaign state list|show|resolve|forget`.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Inspect and repair the state.",
        subcommands: [
            StateListCommand.self, StateShowCommand.self, StateResolveCommand.self, StateForgetCommand.self,
            StateInitCommand.self, StatePushCommand.self, StatePullCommand.self,
        ]
    )
}

/// Options of the state commands: which project's state (found as every other command finds it).
struct StateOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The project whose state to use: a folder at or below its project.yaml (default: campaigns, or the current folder).", valueName: "path"))
    var project: String?
    @OptionGroup var deploy: DeployOptions
    @OptionGroup var output: DiagnosticOptions

    /// The state's backend.
    func backend() throws -> any StateBackend {
        ErrorOutput.use(output.printer)
        let start = project ?? (FileManager.default.fileExists(atPath: "campaigns") ? "campaigns" : ".")
        return try deploy.stateBackend(project: start)
    }

    /// Runs `change` on the state under its lock, with a writer fenced from the moment the state was read, and ends
    /// the writing afterwards (a file's journal is folded in): the one shape of every command that edits state by
    /// hand. Refuses a state that does not exist (a typo must not read as an empty state).
    func change<T: Sendable>(command: String, _ change: (String, any StateWriter) async throws -> T) async throws -> T {
        let backend = try backend()
        do {
            let lease = try await backend.lease(command: command)
            guard let state = try await lease.read() else {
                await lease.release()
                throw DeployError("S012", "the state \(backend.shown) does not exist", hint: "check --project, --state, --env and CAMPAIGN_STATE")
            }
            let journal = await lease.writer(state)
            let result = try await change(backend.shown, journal)
            try await journal.finish()
            await lease.release()
            return result
        } catch let error as DeployError {
            throw fail(error)
        }
    }

    /// The state, read without a lock; refuses a state that does not exist.
    func load() async throws -> (String, EngineState) {
        let backend = try backend()
        let found: EngineState?
        do { found = try await backend.read() } catch { throw fail(error) }
        guard let state = found else {
            throw fail("S012", "the state \(backend.shown) does not exist", hint: "check --project, --state, --env and CAMPAIGN_STATE")
        }
        return (backend.shown, state)
    }
}

struct StateListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every campaign in state (no API calls).")
    @OptionGroup var options: StateOptions

    func run() async throws {
        printOut(StateTable.render(try await options.load().1, notes: [:]))
    }
}

struct StateShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One campaign's record, as JSON.")
    @Argument(help: "The campaign key.") var key: String
    @OptionGroup var options: StateOptions

    func run() async throws {
        let (shown, state) = try await options.load()
        guard let record = state.campaigns[key] else { throw fail("S020", "no campaign `\(EngineState.shown(key))` in the state \(shown)") }
        printOut(JSONWriter(indent: 2).string(record.json) + "\n")
    }
}

struct StateResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Settle an unknown campaign by hand: --id N (it was created as N), --not-created, --sent (a send batch went out) or --first-sent (of two send batches, the first went out and the second did not)."
    )
    @Argument(help: "The campaign key.") var key: String
    @Option(help: "The provider's id the campaign was created with.") var id: String?
    @Flag(help: "The request did not take effect (no batch of unknown outcome went out).") var notCreated = false
    @Flag(help: "The send batch went out (both, when two are of unknown outcome).") var sent = false
    @Flag(help: "Of two send batches of unknown outcome, the first went out and the second did not.") var firstSent = false
    @OptionGroup var options: StateOptions

    func validate() throws {
        if [id != nil, notCreated, sent, firstSent].filter({ $0 }).count != 1 {
            throw ValidationError("Give exactly one of --id N, --not-created, --sent, --first-sent.")
        }
        if let id, id.isEmpty || id.utf8.count > 200 || id.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw ValidationError("--id takes the provider's id of the campaign.")
        }
    }

    func run() async throws {
        let resolution: ApplyMachine.Resolution = id.map { .id($0) } ?? (sent ? .sent : firstSent ? .firstSent : .notCreated)
        let message = try await options.change(command: "campaign state resolve") { [key] _, journal in
            try await Reconciler.resolve(key, resolution, journal: journal)
        }
        printOut(message + "\n")
    }
}

/// `campaign state forget KEY`: drops a record on purpose (a delivered send is never forgotten otherwise).
struct StateForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Drop a campaign's record from state (no API call): for a delivered send whose file is gone, or a campaign the provider no longer knows.",
        discussion: "A forgotten scheduled campaign that still runs at the provider is no longer stopped by this tool; a forgotten send whose file comes back is sent again to everyone. A record whose last request has an unknown outcome is refused: settle it with `campaign reconcile` or `campaign state resolve` first."
    )
    @Argument(help: "The campaign key.") var key: String
    @OptionGroup var options: StateOptions

    func run() async throws {
        let message = try await options.change(command: "campaign state forget") { [key] shown, journal -> String in
            guard let record = await journal.state.campaigns[key] else {
                throw DeployError("S020", "no campaign `\(EngineState.shown(key))` in the state \(shown)")
            }
            guard record.status != .unknown, record.intent == nil else {
                throw DeployError("S021", "`\(EngineState.shown(key))` has a request of unknown outcome", hint: "run `campaign reconcile` or `campaign state resolve \(key)` first")
            }
            try await journal.update(key) { $0 = nil }
            return "`\(key)` forgotten (\(record.status.rawValue)\(record.id.map { ", id \($0)" } ?? "")); no API call was made"
        }
        printOut(message + "\n")
    }
}

/// The table `status` and `state list` print.
enum StateTable {
    static func render(_ state: EngineState, notes: [String: String]) -> String {
        if state.campaigns.isEmpty { return "No campaigns in state.\n" }
        var rows = [["KEY", "TYPE", "STATUS", "ID", "WHEN", "SENT", "CLICKED", "NOTE"]]
        for (key, r) in state.campaigns.sorted(by: { $0.key < $1.key }) {
            let sent = r.batchesSent > 0 || !r.delivered.isEmpty ? String(r.deliveredCount) : r.facts[fact: "sent"] ?? "-"
            var note = notes[key] ?? ""
            if let intent = r.intent { note = "unknown outcome of \(intent.action.rawValue)" + (intent.batches > 1 ? " (\(intent.batches) batches)" : "") }
            let type = r.kind == "scheduled" ? "segment" : r.kind
            rows.append([key, type, r.status.rawValue, r.id ?? "-", r.schedule ?? "-", sent, r.facts[fact: "clicked"] ?? "-", note])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
