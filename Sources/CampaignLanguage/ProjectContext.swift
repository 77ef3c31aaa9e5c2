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

    public init(settings: ProjectSettings = ProjectSettings(), defaults: YAMLNode? = nil, environments: [String: EnvironmentSettings] = [:]) {
        self.settings = settings
        self.defaults = defaults
        self.environments = environments
    }
}

/// One deployment target from `project.yaml`'s `environments:`.
public struct EnvironmentSettings: Sendable, Hashable {
    public var region: String?
    public var apiURL: String?
    /// The name of the environment variable holding the account id.
    public var accountIDVariable: String
    /// The name of the environment variable holding the passcode.
    public var passcodeVariable: String
    /// Where this environment's state file lives.
    public var statePath: String?

    public init(region: String? = nil, apiURL: String? = nil, accountIDVariable: String, passcodeVariable: String, statePath: String? = nil) {
        self.region = region
        self.apiURL = apiURL
        self.accountIDVariable = accountIDVariable
        self.passcodeVariable = passcodeVariable
        self.statePath = statePath
    }
}
