import CampaignEngine
import CampaignLanguage
import CleverTapClient
import Diagnostics
import Foundation
import Logging
import Workspace

/// Everything a deploy command works with: the campaigns (as the engine sees them), the state file, the selected
/// environment, and — when needed — a client.
public struct DeployContext: Sendable {
    public var loaded: LoadedCampaigns
    public var desired: [DesiredCampaign]
    public var statePath: String
    public var environmentName: String?
    public var environmentSettings: EnvironmentSettings?
    public var timezone: String

    /// Default state file.
    public static let defaultStatePath = ".campaign/state.json"

    /// Loads `paths` and picks the state file: `--state`, else `CAMPAIGN_STATE`, else the environment's `state`,
    /// else `.campaign/state.json`.
    public static func load(paths: [String], statePath: String?, environmentName: String?, environment: [String: String]) throws(DeployError) -> DeployContext {
        let loaded = ProjectLoader.load(paths)
        let project = loaded.projects.first
        var settings: EnvironmentSettings?
        if let environmentName {
            guard let found = project?.context.environments[environmentName] else {
                let known = project?.context.environments.keys.sorted() ?? []
                throw DeployError("S040", "no environment `\(environmentName)` in project.yaml", hint: known.isEmpty ? "declare it under `environments:`" : "known: " + known.joined(separator: ", "))
            }
            settings = found
        }
        let state = statePath ?? environment["CAMPAIGN_STATE"].flatMap { $0.isEmpty ? nil : $0 } ?? settings?.statePath ?? defaultStatePath
        let timezone = project?.context.settings.timezone ?? "UTC"
        return DeployContext(
            loaded: loaded,
            // Each project's campaigns in its own account time zone (`loaded.campaigns` is theirs, in this order).
            desired: loaded.projects.flatMap { CleverTapBinding.desired($0.campaigns, timezone: $0.context.settings.timezone) },
            statePath: state,
            environmentName: environmentName, environmentSettings: settings, timezone: timezone)
    }

    /// A client for the selected environment (or the `CLEVERTAP_*` variables).
    public func client(environment: [String: String], logger: Logger) throws(CleverTapError) -> CleverTapClient {
        var configuration: CleverTapConfiguration
        if let settings = environmentSettings {
            configuration = try CleverTapConfiguration.fromEnvironment(
                environment, region: settings.region, apiURL: settings.apiURL, accountIDVariable: settings.accountIDVariable,
                passcodeVariable: settings.passcodeVariable)
        } else {
            configuration = try CleverTapConfiguration.fromEnvironment(environment, region: loaded.projects.first?.context.settings.region)
        }
        if let rate = environment["CAMPAIGN_CREATE_RATE"].flatMap(Double.init), rate > 0 { configuration.createRate = rate }
        return CleverTapClient(configuration: configuration, logger: logger)
    }

    /// A hash of the inputs a plan is made from.
    public var inputsHash: String { CleverTapBinding.inputsHash(desired) }
}
