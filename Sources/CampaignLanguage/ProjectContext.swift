import CampaignModel
import Diagnostics
import YAMLFrontEnd

/// Reads files a campaign refers to (recipient CSVs). The file-system edge supplies it; tests may too.
public protocol ResourceReader: Sendable {
    /// The bytes of `path`, or a diagnostic saying why not.
    func read(_ path: String) -> Result<[UInt8], Diagnostic>
}

/// What every campaign of a project shares: settings and defaults from `project.yaml`.
public struct ProjectContext: Sendable {
    public var settings: ProjectSettings
    /// The `defaults:` mapping, deep-merged under every campaign.
    public var defaults: YAMLNode?
    /// Environments declared in `project.yaml`, by name.
    public var environments: [String: EnvironmentSettings]
    /// `project.yaml`'s `cleverpush:` settings (`channel_id`, `private_key_env`, `api_url`, `concurrency`, `rate`), as
    /// text; an environment's `cleverpush:` overrides them.
    public var cleverPush: [String: String] = [:]
    /// `project.yaml`'s `personaclick:` settings (`shop_id`, `shop_secret_env`, `api_url`, `concurrency`, `rate`), as
    /// text; an environment's `personaclick:` overrides them.
    public var personaClick: [String: String] = [:]

    public init(settings: ProjectSettings = ProjectSettings(), defaults: YAMLNode? = nil, environments: [String: EnvironmentSettings] = [:]) {
        self.settings = settings
        self.defaults = defaults
        self.environments = environments
    }
}

/// One deployment target from `project.yaml`'s `environments:`: its state, and each provider's settings.
public struct EnvironmentSettings: Sendable, Hashable {
    /// Where this environment's state lives (relative to the project's root).
    public var statePath: String?
    /// Per provider (`clevertap`), its settings by name, as the provider defines them: where its API is, and the
    /// *names* of the environment variables holding its credentials — never a secret itself.
    public var providers: [String: [String: String]]

    public init(statePath: String? = nil, providers: [String: [String: String]] = [:]) {
        self.statePath = statePath
        self.providers = providers
    }
}
