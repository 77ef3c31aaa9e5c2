import CampaignDeploy
import CampaignEngine
import CampaignLanguage
import CleverPushClient
import CleverPushProvider
import CleverTapClient
import CleverTapProvider
import Diagnostics
import Foundation
import Logging
import PersonaClickClient
import PersonaClickProvider
import PostgresState
import Workspace

/// The deploy session: everything a deploy command works with, resolved once — the projects and their resources
/// (as the engine sees them), the providers' rules, the state's location, the scope of the run, the selected
/// environment, and (when first needed) the providers' clients.
public struct DeployContext: Sendable {
    public var loaded: LoadedCampaigns
    public var desired: [DesiredResource]
    /// The rules of every provider this build has.
    public var rules: RuleBook
    /// The state: a file (where it is, and where it really is) or a database.
    public var state: StateAddress
    /// Whether the runner named the state (`--state`, `CAMPAIGN_STATE`) rather than the repository (`project.yaml`).
    public var stateFromRunner: Bool
    /// The state as shown.
    public var statePath: String { state.shown }
    /// The records of state this run may touch: those of the paths named.
    public var scope: PlanScope
    public var environmentName: String?
    public var environmentSettings: EnvironmentSettings?
    public var timezone: String

    /// The rules of every provider this build has.
    public static let ruleBook = RuleBook([CleverTapRules(), CleverPushRules(), PersonaClickRules()])

    /// The default state file, relative to the project's root.
    public static let defaultStatePath = ".campaign/state.json"

    /// Loads `paths` and picks the state: `--state` (`statePath`), else `CAMPAIGN_STATE`, else the environment's
    /// `state`, else `.campaign/state.json` — the last two relative to the project's root, never to the current
    /// directory. Problems with the files are left in `loaded.diagnostics` for the caller to print.
    public static func load(paths: [String], statePath: String?, environmentName: String?, environment: [String: String]) throws(DeployError) -> DeployContext {
        var loaded = ProjectLoader.load(paths)
        for project in loaded.projects where project.projectFile == nil {
            loaded.diagnostics.append(.error(
                FileDiagnosticCode.noProject, "no `project.yaml` at or above \(Quoting.code(project.root, limit: 200)): plan and apply need a project root", at: nil,
                hint: "create `project.yaml` (at least `timezone: …`) in the folder that holds the campaigns; keys and the default state are anchored there"))
        }
        let settings = try environmentSettings(environmentName, projects: loaded.projects)
        let (state, fromRunner) = try stateLocation(explicit: statePath, environment: environment, settings: settings, projects: loaded.projects)
        let timezone = loaded.projects.first?.context.settings.timezone ?? "UTC"
        return DeployContext(
            loaded: loaded,
            // Each project's campaigns in its own account time zone (`loaded.campaigns` is theirs, in this order).
            desired: loaded.projects.flatMap { project in
                CleverTapBinding.desired(project.campaigns, timezone: project.context.settings.timezone, project: project.identity) {
                    project.relativePath(of: $0)
                }
                    + CleverPushBinding.desired(project.cleverPush, timezone: project.context.settings.timezone, project: project.identity) {
                        project.relativePath(of: $0)
                    }
                    + PersonaClickBinding.desired(project.personaClick, project: project.identity) { project.relativePath(of: $0) }
            },
            rules: ruleBook,
            state: state, stateFromRunner: fromRunner, scope: scope(paths: paths, projects: loaded.projects),
            environmentName: environmentName, environmentSettings: settings, timezone: timezone)
    }

    /// The state of the project at or above `project` without loading its campaigns (the state commands): the rule
    /// of ``load(paths:statePath:environmentName:environment:)``; and whether the runner named it.
    public static func stateOnly(project path: String, statePath: String?, environmentName: String?, environment: [String: String]) throws(DeployError) -> (StateAddress, Bool) {
        if let statePath { return (try StateAddress.parse(statePath), true) }
        if let variable = environment["CAMPAIGN_STATE"], !variable.isEmpty { return (try StateAddress.parse(variable), true) }
        guard let project = ProjectLoader.loadSettings(path) else {
            throw DeployError("F008", "no `project.yaml` at or above \(path)", hint: "name the project with --project, or the state with --state")
        }
        if !project.problems.isEmpty {
            throw DeployError("C000", "\(project.project.projectFile ?? "project.yaml") has errors; run `campaign validate` for details")
        }
        let settings = try environmentSettings(environmentName, projects: [project.project])
        return try stateLocation(explicit: nil, environment: environment, settings: settings, projects: [project.project])
    }

    /// The state backend for `address`: the file, or the PostgreSQL workspace of the environment (`default` without
    /// one).
    public static func backend(_ address: StateAddress, fromRunner: Bool, environmentName: String?, environment: [String: String], logger: Logger) throws(DeployError) -> any StateBackend {
        switch address {
        case .file(let location):
            return FileStateBackend(location: location)
        case .postgres(let url):
            let connector = PostgresConnector(url: url, fromRunner: fromRunner, environment: environment, logger: logger)
            return try PostgresStateBackend(connector: connector, workspace: environmentName ?? "default")
        }
    }

    /// The backend of this session's state.
    public func stateBackend(environment: [String: String], logger: Logger) throws(DeployError) -> any StateBackend {
        try Self.backend(state, fromRunner: stateFromRunner, environmentName: environmentName, environment: environment, logger: logger)
    }

    /// The environment `name` as every project given declares it (they must agree), or nil without a name.
    static func environmentSettings(_ name: String?, projects: [LoadedProject]) throws(DeployError) -> EnvironmentSettings? {
        guard let name else { return nil }
        var found: EnvironmentSettings?
        for project in projects {
            guard let settings = project.context.environments[name] else {
                let known = project.context.environments.keys.sorted()
                throw DeployError("S040", "no environment `\(name)` in \(project.projectFile ?? project.root + "/project.yaml")",
                                  hint: known.isEmpty ? "declare it under `environments:`" : "known: " + known.joined(separator: ", "))
            }
            if let found, found != settings {
                throw DeployError("S042", "the projects given declare the environment `\(name)` differently", hint: "plan and apply them one at a time")
            }
            found = settings
        }
        if found == nil { throw DeployError("S040", "no environment `\(name)`: no project was found") }
        return found
    }

    /// The one state location for the run. A path the user gives is taken relative to the current directory; one the
    /// project gives, or the default, relative to the project's root. Several projects must resolve to one state.
    static func stateLocation(explicit: String?, environment: [String: String], settings: EnvironmentSettings?, projects: [LoadedProject]) throws(DeployError) -> (StateAddress, Bool) {
        if let explicit { return (try StateAddress.parse(explicit), true) }
        if let variable = environment["CAMPAIGN_STATE"], !variable.isEmpty { return (try StateAddress.parse(variable), true) }
        let relative = settings?.statePath ?? defaultStatePath
        if PostgresURL.looksLikeURL(relative) { return (.postgres(try PostgresURL(relative, environment: environment)), false) }
        var locations: [StateLocation] = []
        for project in projects {
            let path = relative.hasPrefix("/") ? relative : (project.root == "." ? relative : project.root + "/" + relative)
            let location = try StateLocation.resolve(path)
            if !locations.contains(where: { $0.resolved == location.resolved }) { locations.append(location) }
        }
        guard locations.count <= 1 else {
            throw DeployError("S041", "the projects given have different states (\(locations.map(\.path).joined(separator: ", ")))",
                              hint: "plan and apply each project on its own, or name one shared state with --state")
        }
        if let location = locations.first { return (.file(location), false) }
        return (.file(try StateLocation.resolve(relative)), false)
    }

    /// The records the paths named cover: per project, the files and folders named relative to its root.
    static func scope(paths: [String], projects: [LoadedProject]) -> PlanScope {
        var planned: [String: [String]] = [:]
        for project in projects {
            var prefixes: [String] = []
            for path in paths {
                if let relative = ProjectRoot.relative(path, to: project.root) {
                    prefixes.append(relative)
                } else if ProjectRoot.relative(project.root, to: path) != nil {
                    prefixes.append("")  // a folder above the project's root: all of it
                }
            }
            planned[project.identity] = prefixes.contains("") ? [""] : prefixes
        }
        // Records of format 1 name no project; their file is the path as it was named (from wherever the command ran
        // then). One is placed only when that path, from here, lies inside a project planned now.
        let roots = projects.map { (identity: $0.identity, root: $0.root) }
        return PlanScope(paths: planned) { file in
            guard !file.isEmpty else { return nil }
            for project in roots {
                if let relative = ProjectRoot.relative(file, to: project.root), !relative.isEmpty { return (project.identity, relative) }
            }
            return nil
        }
    }

    /// The providers for the selected environment (or the `CLEVERTAP_*` variables); each reads its credentials
    /// when it is first asked something.
    public func providers(environment: [String: String], logger: Logger, allowCustomURL: Bool = false) -> ProviderSet {
        let context = self
        return ProviderSet([
            CleverTapRules.name: { () throws(ProviderFailure) -> any ProviderRuntime in
                do {
                    return CleverTapRuntime(client: try context.cleverTapClient(environment: environment, logger: logger, allowCustomURL: allowCustomURL))
                } catch let error as CleverTapError {
                    throw ProviderFailure(code: error.code, message: error.message)
                } catch {
                    throw ProviderFailure(code: "CT-CONFIG", message: "cannot make a CleverTap client")
                }
            },
            CleverPushRules.name: { () throws(ProviderFailure) -> any ProviderRuntime in
                do {
                    return CleverPushRuntime(client: try context.cleverPushClient(environment: environment, logger: logger, allowCustomURL: allowCustomURL))
                } catch let error as CleverPushError {
                    throw ProviderFailure(code: error.code, message: error.message, hint: "see `cleverpush:` in docs/LANGUAGE.md", credentialsMissing: error.kind == .missingKey)
                } catch {
                    throw ProviderFailure(code: "CP-CONFIG", message: "cannot make a CleverPush client")
                }
            },
            PersonaClickRules.name: { () throws(ProviderFailure) -> any ProviderRuntime in
                do {
                    return PersonaClickRuntime(client: try context.personaClickClient(environment: environment, logger: logger, allowCustomURL: allowCustomURL))
                } catch let error as PersonaClickError {
                    throw ProviderFailure(code: error.code, message: error.message, hint: "see `personaclick:` in docs/LANGUAGE.md", credentialsMissing: error.kind == .missingSecret)
                } catch {
                    throw ProviderFailure(code: "PC-CONFIG", message: "cannot make a PersonaClick client")
                }
            },
        ])
    }

    /// A CleverPush client: `project.yaml`'s `cleverpush:` settings, overridden by the environment's; the private key
    /// from the variable they name (only a `CLEVERPUSH_…` one; `CLEVERPUSH_PRIVATE_KEY` when none is named). The API
    /// URL is the runner's `CLEVERPUSH_API_URL`, or the settings' `api_url` when the runner allows another host.
    public func cleverPushClient(environment: [String: String], logger: Logger, allowCustomURL: Bool = false) throws(CleverPushError) -> CleverPushClient {
        var settings = loaded.projects.first?.context.cleverPush ?? [:]
        if let overrides = environmentSettings?.providers[CleverPushRules.name] { settings.merge(overrides) { $1 } }
        guard let channel = settings["channel_id"] else {
            throw CleverPushError(.configuration, "no CleverPush channel: give `cleverpush: {channel_id: …}` in project.yaml (or the environment's `cleverpush:`)")
        }
        let variable = settings["private_key_env"] ?? "CLEVERPUSH_PRIVATE_KEY"
        guard let key = environment[variable], !key.isEmpty else {
            throw CleverPushError(.missingKey, "the variable `\(variable)` (CleverPush's private key) is not set")
        }
        var url = CleverPushConfiguration.defaultURL
        if let runner = environment["CLEVERPUSH_API_URL"], !runner.isEmpty {
            url = runner
        } else if let written = settings["api_url"] {
            guard allowCustomURL || environment["CAMPAIGN_ALLOW_API_URL"] == "1" || ProviderHost.isOwn(written, official: CleverPushConfiguration.defaultURL) else {
                throw CleverPushError(.configuration, "the settings name another CleverPush API host (`api_url`); the runner must allow it with --allow-api-url or CAMPAIGN_ALLOW_API_URL=1")
            }
            url = written
        }
        var configuration = CleverPushConfiguration(baseURL: url, channelID: channel, privateKey: key)
        if let text = settings["concurrency"], let value = Int(text) { configuration.call.concurrency = value }
        if let text = settings["rate"], let value = Double(text) { configuration.call.rate = value }
        if let text = environment["CAMPAIGN_CLEVERPUSH_RATE"], let value = Double(text), value > 0, value <= 10_000 { configuration.call.rate = value }
        if let text = environment["CAMPAIGN_CLEVERPUSH_BACKOFF"], let value = Double(text), value >= 0, value <= 10 { configuration.call.backoff = value }
        return CleverPushClient(configuration: configuration, logger: logger)
    }

    /// A PersonaClick client: `project.yaml`'s `personaclick:` settings, overridden by the environment's; the shop
    /// secret from the variable they name (only a `PERSONACLICK_…` one; `PERSONACLICK_SHOP_SECRET` when none is named).
    /// The API URL is the runner's `PERSONACLICK_API_URL`, or the settings' `api_url` when the runner allows another host.
    public func personaClickClient(environment: [String: String], logger: Logger, allowCustomURL: Bool = false) throws(PersonaClickError) -> PersonaClickClient {
        var settings = loaded.projects.first?.context.personaClick ?? [:]
        if let overrides = environmentSettings?.providers[PersonaClickRules.name] { settings.merge(overrides) { $1 } }
        guard let shop = settings["shop_id"] else {
            throw PersonaClickError(.configuration, "no PersonaClick shop: give `personaclick: {shop_id: …}` in project.yaml (or the environment's `personaclick:`)")
        }
        let variable = settings["shop_secret_env"] ?? "PERSONACLICK_SHOP_SECRET"
        guard let secret = environment[variable], !secret.isEmpty else {
            throw PersonaClickError(.missingSecret, "the variable `\(variable)` (PersonaClick's shop secret) is not set")
        }
        var url = PersonaClickConfiguration.defaultURL
        if let runner = environment["PERSONACLICK_API_URL"], !runner.isEmpty {
            url = runner
        } else if let written = settings["api_url"] {
            guard allowCustomURL || environment["CAMPAIGN_ALLOW_API_URL"] == "1" || ProviderHost.isOwn(written, official: PersonaClickConfiguration.defaultURL) else {
                throw PersonaClickError(.configuration, "the settings name another PersonaClick API host (`api_url`); the runner must allow it with --allow-api-url or CAMPAIGN_ALLOW_API_URL=1")
            }
            url = written
        }
        var configuration = PersonaClickConfiguration(baseURL: url, shopID: shop, shopSecret: secret)
        if let text = settings["concurrency"], let value = Int(text) { configuration.call.concurrency = value }
        if let text = settings["rate"], let value = Double(text) { configuration.call.rate = value }
        if let text = environment["CAMPAIGN_PERSONACLICK_RATE"], let value = Double(text), value > 0, value <= 10_000 { configuration.call.rate = value }
        if let text = environment["CAMPAIGN_PERSONACLICK_CONCURRENCY"], let value = Int(text), value >= 1, value <= 64 { configuration.call.concurrency = value }
        if let text = environment["CAMPAIGN_PERSONACLICK_BACKOFF"], let value = Double(text), value >= 0, value <= 10 { configuration.call.backoff = value }
        return PersonaClickClient(configuration: configuration, logger: logger)
    }

    /// A CleverTap client for the selected environment (or the `CLEVERTAP_*` variables). Repository content is not
    /// trusted with the host: an environment's `api_url` may name another host than CleverTap's only when the runner
    /// allows it (`--allow-api-url`, or `CAMPAIGN_ALLOW_API_URL=1`); `CLEVERTAP_API_URL` is the runner's own.
    public func cleverTapClient(environment: [String: String], logger: Logger, allowCustomURL: Bool = false) throws(CleverTapError) -> CleverTapClient {
        var configuration: CleverTapConfiguration
        let defaultRegion = loaded.projects.first?.context.settings.region
        let allow = allowCustomURL || environment["CAMPAIGN_ALLOW_API_URL"] == "1"
        if let settings = environmentSettings {
            guard let cleverTap = settings.providers[CleverTapRules.name], let account = cleverTap["account_id_env"], let passcode = cleverTap["passcode_env"] else {
                throw CleverTapError(.configuration, "the environment `\(environmentName ?? "?")` gives no CleverTap credentials (`clevertap: {account_id_env, passcode_env}`)")
            }
            configuration = try CleverTapConfiguration.fromEnvironment(
                environment, region: cleverTap["region"], apiURL: cleverTap["api_url"], accountIDVariable: account,
                passcodeVariable: passcode, defaultRegion: defaultRegion, allowCustomURL: allow)
        } else {
            configuration = try CleverTapConfiguration.fromEnvironment(environment, defaultRegion: defaultRegion, allowCustomURL: allow)
        }
        if let text = environment["CAMPAIGN_CREATE_RATE"], !text.isEmpty {
            // A rate outside this range is a typo: a tiny one would wait for ages, a huge one trips the API's limit.
            guard let rate = Double(text), rate.isFinite, rate >= 0.01, rate <= 1000 else {
                throw CleverTapError(.configuration, "CAMPAIGN_CREATE_RATE must be a number of creates per second from 0.01 to 1000")
            }
            configuration.createRate = rate
        }
        return CleverTapClient(configuration: configuration, logger: logger)
    }

    /// A hash of the inputs a plan is made from.
    public var inputsHash: String { ContentHash.inputs(desired) }
}
