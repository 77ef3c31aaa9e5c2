import ArgumentParser
import CampaignDeploy
import CampaignEngine
import CleverTapProvider
import Diagnostics
import Foundation
import JSON
import Synchronization

/// The formats of a plan.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, markdown, json
}

/// `campaign plan [PATH...]`: what apply would do.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would create, send, replace, stop, move, forget or refuse.",
        discussion: """
            Compares the campaigns with the state file and live data (result.json for campaigns not yet final, \
            list.json for campaigns stopped outside the tool). Credentials (CLEVERTAP_ACCOUNT_ID, CLEVERTAP_PASSCODE) \
            are needed only when there is live data to read or --estimate is given.
            Exit status: 0 success (with --detailed-exitcode: 0 no changes, 2 changes), 1 errors or anything refused.
            """
    )

    @Argument(help: "Campaign files or folders (default: campaigns).") var paths: [String] = ["campaigns"]
    @Option(help: "Output: text, markdown (for a pull-request comment) or json.") var format: PlanFormat = .text
    @Option(help: ArgumentHelp("Save the plan (exact requests, state lineage and serial, inputs hash) for `campaign apply FILE`.", valueName: "file"))
    var out: String?
    @Flag(help: "Exit 0 when there are no changes, 2 when there are, 1 on errors or refusals.") var detailedExitcode = false
    @Flag(help: "Query live data for final campaigns too.") var refresh = false
    @Flag(help: "Add the estimated reach of each create and replace.") var estimate = false
    @Option(help: "Colour: auto (only on a terminal, unless NO_COLOR is set), always or never.") var color: ColorMode = .auto
    @OptionGroup var deploy: DeployOptions

    /// Diagnostics (of the campaigns, and errors) are printed as JSON with `--format json`, else as text.
    var output: DiagnosticPrinter { DiagnosticPrinter(format: format == .json ? .json : .text, color: color) }

    func run() async throws {
        ErrorOutput.use(output)
        // Without --out (no lock to take first) the state is read on another thread while the campaigns load (a file,
        // or a database's rows: the connection, the query and decoding the records all overlap the parsing). Any
        // problem is left for the read after loading to report.
        var preload: Task<(state: EngineState, needsLive: Bool, from: String)?, Never>?
        if out == nil, let early = deploy.quickStateBackend(paths: paths) {
            preload = Task.detached { [refresh] in
                guard let state = try? await early.read() else { return nil }
                return (state, LiveData.isNeeded(for: state, rules: DeployContext.ruleBook, refresh: refresh), early.shown)
            }
        }
        let context = try deploy.context(paths: paths, output: output)
        let backend = try deploy.stateBackend(context)
        // --out: the state is read under its lock, so the saved plan names a state no run was changing.
        let lease: (any StateLease)?
        do {
            lease = out != nil ? try await backend.lease(command: "campaign plan --out") : nil
        } catch {
            throw fail(error)
        }
        let preloaded = await preload?.value
        let plan = try await Self.makePlan(
            context: context, deploy: deploy, refresh: refresh, estimate: estimate,
            read: { () async throws(DeployError) -> EngineState? in
                if let lease { return try await lease.read() }
                // A preloaded state counts only if it is this session's (and, for a file, the file is still there).
                if let preloaded, preloaded.from == backend.shown, context.state.file?.exists ?? true { return preloaded.state }
                return try await backend.read()
            },
            needsLive: lease == nil ? preloaded?.needsLive : nil, withoutMissingCredentials: out == nil)
        switch format {
        case .text: StandardOutput.write(PlanRenderer.textBytes(plan.plan, colors: output.useColorsOnStdout))
        case .markdown: printOut(PlanRenderer.markdown(plan.plan))
        case .json: printOut(JSONWriter(indent: 2).string(PlanRenderer.json(plan.plan)) + "\n")
        }
        if let out {
            let saved = SavedPlan(plan: plan.plan, state: plan.stateExists ? plan.state : nil, inputsHash: context.inputsHash, paths: paths)
            do {
                try OutputFile.write(JSONWriter(indent: 2).bytes(saved.json) + [0x0A], to: out)
            } catch {
                throw fail("S035", "cannot write the plan to \(out): \(error.reason)")
            }
            printErr("saved the plan to \(out); apply it with `campaign apply \(out)`\n")
        }
        await lease?.release()
        // Like validate: the process ends here; skip tearing down thousands of campaigns object by object (kept
        // alive to this point, or they would be freed after their last use above).
        let status = plan.plan.hasRefusals ? ExitStatus.failure : detailedExitcode && plan.plan.hasChanges ? 2 : ExitStatus.success
        withExtendedLifetime((context, plan)) { ExitStatus.exitWithoutCleanup(status) }
    }

    /// What ``makePlan(context:deploy:refresh:estimate:read:needsLive:)`` made: the plan, the state it was made
    /// against, and whether that state exists (a first plan starts from an empty one).
    struct Made {
        var plan: Plan
        var state: EngineState
        var stateExists: Bool
    }

    /// Reads state (`read`: nil when there is none), gathers live data (only when there is something to ask) and
    /// plans the paths named (records of other paths are left alone and counted). A state that does not exist yet is
    /// said in the plan's first line. `needsLive`: whether a preloaded state's records need live data, decided
    /// without the scope on the thread that read it.
    static func makePlan(
        context: DeployContext, deploy: DeployOptions, refresh: Bool, estimate: Bool,
        read: () async throws(DeployError) -> EngineState?, needsLive preloadedNeedsLive: Bool? = nil, withoutMissingCredentials: Bool = false
    ) async throws -> Made {
        let found: EngineState?
        do { found = try await read() } catch { throw fail(error) }
        let exists = found != nil
        let state = found ?? EngineState()
        // Live facts only for the records this run plans: those of its resources, and the others in its scope. (The
        // set of keys is made only if a record is to be asked about: most plans of finished campaigns ask nothing.)
        let scope = context.scope
        let desired = context.desired
        let desiredKeys = LazyKeySet { Set(desired.map(\.key)) }
        let planned: @Sendable (String, StateRecord) -> Bool = { key, record in desiredKeys.set.contains(key) || scope.contains(record) }
        // Asked again with the scope only when the preload said yes.
        let needsLive = preloadedNeedsLive != false && LiveData.isNeeded(for: state, rules: context.rules, refresh: refresh, including: planned)
        var live: [String: LiveStatus] = [:]
        let providers = deploy.providers(context)
        // A plan that is only shown (not saved) goes on without a provider this run has no credentials for: a pull
        // request's plan gets no key for a provider it must not write to. The plan says so.
        var unasked: [String: ProviderFailure] = [:]
        let note: ((String, ProviderFailure) -> Void)? = withoutMissingCredentials ? { unasked[$0] = $1 } : nil
        if needsLive {
            do {
                live = try await LiveData.gather(state: state, providers: providers, rules: context.rules, refresh: refresh, including: planned, unavailable: note)
            } catch {
                await providers.shutdown()
                throw fail(error, prefix: "reading live data: ")
            }
        }
        // Resources their provider reviews against the source first (PersonaClick: consent withdrawn since the last
        // apply is held back); each is planned as the review returns it, with its notes under its action.
        var reviewed = context.desired
        var notes: [String: [PlanNote]] = [:]
        for index in reviewed.indices where context.rules.reviewsMembers(reviewed[index], record: state.campaigns[reviewed[index].key], refresh: refresh) {
            let resource = reviewed[index]
            do {
                let runtime: any ProviderRuntime
                do {
                    runtime = try await providers.runtime(resource.provider)
                } catch where error.credentialsMissing && note != nil {
                    // A plan that is only shown: planned from state alone, and reviewed when applied (apply plans again).
                    unasked[resource.provider] = error
                    continue
                }
                guard let review = try await runtime.review(resource, record: state.campaigns[resource.key], refresh: refresh) else { continue }
                guard review.resource.key == resource.key, review.resource.provider == resource.provider, review.resource.kind == resource.kind else { continue }
                reviewed[index] = review.resource
                if !review.notes.isEmpty { notes[resource.key] = review.notes }
            } catch {
                await providers.shutdown()
                throw fail(error, prefix: "reviewing \(resource.key): ")
            }
        }
        var plan = Planner(now: Date(), rules: context.rules).plan(desired: reviewed, state: state, live: live, scope: context.scope)
        if !notes.isEmpty {
            for index in plan.actions.indices { if let found = notes[plan.actions[index].key] { plan.actions[index].notes = found + plan.actions[index].notes } }
        }
        if !exists {
            plan.notice = "No state at \(context.statePath) yet: every campaign is planned as new. (The first `campaign apply` needs --init-state.)"
        }
        // Creates their provider checks first (CleverPush: the tag, topic and segment names a notification gives).
        for index in plan.actions.indices where plan.actions[index].kind == .create {
            let action = plan.actions[index]
            guard let request = action.requests.first, let provider = action.facts?.provider, context.rules.checksBeforeCreate(provider: provider, request) else { continue }
            do {
                let runtime: any ProviderRuntime
                do {
                    runtime = try await providers.runtime(provider)
                } catch where error.credentialsMissing && note != nil {
                    unasked[provider] = error
                    plan.actions[index].reason += " (not checked with \(provider): no credentials in this run)"
                    continue
                }
                if let reason = try await runtime.checkBeforeCreate(request) {
                    plan.actions[index] = PlanAction(key: action.key, kind: .refused, reason: reason)
                }
            } catch {
                await providers.shutdown()
                throw fail(error, prefix: "checking \(action.key): ")
            }
        }
        if !unasked.isEmpty {
            let said = unasked.sorted { $0.key < $1.key }.map { "\($0.key) was not asked (\($0.value.message)): its resources are planned from state alone, and checked when applied" }
            plan.notice = ([plan.notice].compactMap { $0 } + said).joined(separator: " ")
        }
        if estimate {
            for index in plan.actions.indices where plan.actions[index].kind == .create || plan.actions[index].kind == .replace {
                guard let request = plan.actions[index].requests.first, let provider = plan.actions[index].facts?.provider, unasked[provider] == nil else { continue }
                do {
                    plan.actions[index].estimates = try await providers.runtime(provider).estimate(request)
                } catch {
                    await providers.shutdown()
                    throw fail(error, prefix: "estimating \(plan.actions[index].key): ")
                }
            }
        }
        await providers.shutdown()
        return Made(plan: plan, state: state, stateExists: exists)
    }
}

extension DiagnosticPrinter {
    /// Colour for output written to standard output.
    var useColorsOnStdout: Bool {
        switch color {
        case .always: return true
        case .never: return false
        case .auto: return isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        }
    }
}

/// A set made on first use (from any thread).
final class LazyKeySet: Sendable {
    private let make: @Sendable () -> Set<String>
    private let made = Mutex<Set<String>?>(nil)

    init(_ make: @escaping @Sendable () -> Set<String>) { self.make = make }

    var set: Set<String> {
        made.withLock { value in
            if let value { return value }
            let fresh = make()
            value = fresh
            return fresh
        }
    }
}
