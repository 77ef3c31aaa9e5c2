import CleverPushSandbox
import PersonaClickSandbox
import CleverTapSandbox
import Foundation
import JSON
import SandboxLedger
import Testing
import YAMLFrontEnd

/// The CI files users copy (examples/ci/, action.yml), read with the project's YAML front end, and a small runner
/// that executes the `campaign` command lines they contain with bash, the way GitHub Actions and GitLab CI would —
/// against the in-process sandbox, in a temporary copy of the example project.
enum CIFiles {
    static let root = TestSupport.repositoryRoot
    static let githubFolder = root + "/examples/ci/github"
    static let gitlabFile = root + "/examples/ci/gitlab/.gitlab-ci.yml"
    static let actionFile = root + "/action.yml"

    /// Every GitHub Actions workflow in examples/ci/github/.
    static func githubWorkflows() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: githubFolder)
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted().map { githubFolder + "/" + $0 }
    }

    /// The one document of a YAML file (parse errors fail the test).
    static func load(_ path: String) throws -> YAMLNode {
        let result = YAMLParser.parse(try TestSupport.bytes(path), file: path)
        #expect(!result.hasErrors, "\(path): \(result.diagnostics)")
        guard result.documents.count == 1, let document = result.documents.first else {
            throw CIError("\(path) holds \(result.documents.count) YAML documents, not one")
        }
        return document.root
    }
}

struct CIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension YAMLNode {
    /// The scalar's text (nil for a collection or null).
    var text: String? { scalar.flatMap { $0.isNull ? nil : $0.value } }
    /// The items of a sequence (empty otherwise).
    var items: [YAMLNode] { sequence.map { Array($0) } ?? [] }
    /// The pairs of a mapping, keys as text, in written order (empty otherwise).
    var pairs: [(key: String, value: YAMLNode)] { mapping.map { $0.map { ($0.key.text ?? "", $0.value) } } ?? [] }
    /// A mapping of scalars as a dictionary (a string or a list of strings: GitLab's `script`).
    var strings: [String: String] { Dictionary(pairs.compactMap { p in p.value.text.map { (p.key, $0) } }, uniquingKeysWith: { $1 }) }
    /// A scalar or a list of scalars, as lines.
    var lines: [String] { text.map { [$0] } ?? items.compactMap(\.text) }
}

/// `check-jsonschema` (PyPI, installed by `make setup`): on PATH, or as `python3 -m check_jsonschema`.
enum CheckJSONSchema {
    static func command() -> [String]? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/check-jsonschema") {
            return ["\(folder)/check-jsonschema"]
        }
        for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/python3") {
            let probe = try? CIShell.runBlocking(["\(folder)/python3", "-c", "import check_jsonschema"], environment: CIShell.baseEnvironment)
            if probe?.status == 0 { return ["\(folder)/python3", "-m", "check_jsonschema"] }
        }
        return nil
    }

    /// Validates `file` against one of check-jsonschema's vendored schemas (offline).
    static func check(_ file: String, builtin schema: String) async throws -> TestSupport.Run {
        guard let command = command() else {
            throw CIError("check-jsonschema is not installed: run `make setup` (python3 -m pip install check-jsonschema)")
        }
        return try await CIShell.run(command + ["--builtin-schema", schema, file], environment: CIShell.baseEnvironment)
    }
}

/// Runs programs with an environment built from scratch (nothing of the developer's CLEVERTAP_* or CAMPAIGN_*
/// leaks in).
enum CIShell {
    static let baseEnvironment: [String: String] = {
        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = ["LANG": "C.UTF-8", "NO_COLOR": "1"]
        for key in ["PATH", "HOME", "TMPDIR", "PYENV_ROOT", "PYENV_VERSION"] { env[key] = inherited[key] }
        env["PATH"] = env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return env
    }()

    /// A program on PATH.
    static func find(_ program: String) -> String? {
        let path = baseEnvironment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// ``runBlocking(_:environment:directory:timeout:)`` on a Dispatch thread: a test must not hold one of the
    /// cooperative pool's threads (two here) that in-process sandboxes of other tests answer on.
    static func run(_ arguments: [String], environment: [String: String], directory: String? = nil, timeout: TimeInterval = 180) async throws -> TestSupport.Run {
        try await TestSupport.offThePool { try runBlocking(arguments, environment: environment, directory: directory, timeout: timeout) }
    }

    static func runBlocking(_ arguments: [String], environment: [String: String], directory: String? = nil, timeout: TimeInterval = 180) throws -> TestSupport.Run {
        try TestSupport.run(Array(arguments.dropFirst()), product: arguments[0], environment: environment, currentDirectory: directory,
                            timeout: timeout, inherit: false)
    }

    /// A script run the way both CI systems run `bash` steps: `bash --noprofile --norc -eo pipefail FILE`.
    static func bash(_ script: String, environment: [String: String], directory: String) async throws -> TestSupport.Run {
        let file = NSTemporaryDirectory() + "ci-step-" + UUID().uuidString + ".sh"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        return try await withCheckedThrowingContinuation { continuation in
            TestSupport.detached {
                continuation.resume(with: Result {
                    try runBlocking(["/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", file], environment: environment, directory: directory)
                })
            }
        }
    }
}

/// Where the pipelines keep their state: THE one parameter to change for a run against PostgreSQL.
///
/// By default a state file in the run's folder. `CAMPAIGN_CI_TEST_STATE` replaces it (for example
/// `postgres://campaign@127.0.0.1:5432/campaign?sslmode=disable&schema=ci_{unique}`: `{unique}` becomes a fresh
/// token for every run, so each run starts with no state), with the password in `CAMPAIGN_CI_TEST_PGPASSWORD`.
enum CIState {
    /// The state the pipelines run against: a state file in `folder`, or a fresh schema in the test PostgreSQL (what
    /// docs/CI.md prescribes for releases). `CAMPAIGN_CI_TEST_STATE` (a postgres:// URL, `{unique}` replaced by a
    /// fresh name) with `CAMPAIGN_CI_TEST_PGPASSWORD` names another database instead.
    static func location(_ kind: StateKind, folder: String) async throws -> (url: String, password: String) {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["CAMPAIGN_CI_TEST_STATE"], !url.isEmpty {
            let unique = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
            return (url.replacingOccurrences(of: "{unique}", with: String(unique)), environment["CAMPAIGN_CI_TEST_PGPASSWORD"] ?? "")
        }
        switch kind {
        case .file: return (folder + "/state.json", "")
        case .postgres:
            let server = try await PostgresTestServer.shared
            return (server.url(), server.password)
        }
    }
}

/// One pipeline run's world: a copy of the example project, a sandbox standing in for CleverTap, the secrets a
/// user would configure, and the runner's own environment (campaign on PATH, the sandbox's URL).
struct CIWorld {
    static let account = "CI-ACCOUNT"
    static let passcode = "ci-passcode-77aa19"
    static let cleverPushKey = "ci-cleverpush-key-5521"
    static let personaClickSecret = "ci-personaclick-secret-7731"

    let sandbox: RunningSandbox
    /// The checked-out repository: `campaigns/` copied from this repository.
    let workspace: String
    let scratch: String
    let state: (url: String, password: String)

    static func start(state kind: StateKind = .file) async throws -> CIWorld {
        // The `now` campaign completes within a second (60 sandbox seconds a real second, 1 s to complete).
        // The account's email and SMS providers, as the example campaigns name them (and `make demo` starts it); the
        // same server serves CleverPush (campaigns/cleverpush), as `campaign-sandbox` does.
        let ledger = SandboxLedger()
        let push = CleverPushSandboxState(configuration: CleverPushSandboxConfiguration(privateKey: cleverPushKey), ledger: ledger)
        let click = PersonaClickSandboxState(configuration: PersonaClickSandboxConfiguration(shopSecret: personaClickSecret), ledger: ledger)
        let sandbox = try await RunningSandbox.start(SandboxConfiguration(
            accountID: account, passcode: passcode, timeScale: 60, timezone: "Europe/Berlin", completionDelay: 1,
            createRate: 0, targetsLatency: 0, providers: ["email": ["SendGrid"], "sms": ["Twilio"]]), ledger: ledger, mount: {
            CleverPushRoutes.mount(on: $0, state: push)
            PersonaClickRoutes.mount(on: $0, state: click)
        })
        let scratch = try TestSupport.temporaryFolder()
        let workspace = scratch + "/repository"
        try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CIFiles.root + "/campaigns", toPath: workspace + "/campaigns")
        for folder in ["runner-temp", "tool-cache"] {
            try FileManager.default.createDirectory(atPath: scratch + "/" + folder, withIntermediateDirectories: true)
        }
        return CIWorld(sandbox: sandbox, workspace: workspace, scratch: scratch, state: try await CIState.location(kind, folder: scratch))
    }

    func stop() async {
        await sandbox.stop()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// The repository secrets docs/CI.md tells GitHub users to set.
    var githubSecrets: [String: String] {
        [
            "CLEVERTAP_ACCOUNT_ID": Self.account, "CLEVERTAP_PASSCODE": Self.passcode, "CLEVERPUSH_PRIVATE_KEY": Self.cleverPushKey,
            "PERSONACLICK_SHOP_SECRET": Self.personaClickSecret,
            "CAMPAIGN_STATE_URL": state.url, "CAMPAIGN_PGPASSWORD": state.password,
            "CAMPAIGN_PLAN_STATE_URL": state.url, "CAMPAIGN_PLAN_PGPASSWORD": state.password,
        ]
    }

    /// The CI/CD variables docs/CI.md tells GitLab users to set (every job sees them under these names; the jobs
    /// map them to the names campaign reads).
    var gitlabVariables: [String: String] {
        [
            "CAMPAIGN_CLEVERTAP_ACCOUNT_ID": Self.account, "CAMPAIGN_CLEVERTAP_PASSCODE": Self.passcode,
            "CAMPAIGN_CLEVERPUSH_PRIVATE_KEY": Self.cleverPushKey, "CAMPAIGN_PERSONACLICK_SHOP_SECRET": Self.personaClickSecret,
            "CAMPAIGN_STATE_URL": state.url, "CAMPAIGN_PGPASSWORD": state.password,
            "CAMPAIGN_PLAN_CLEVERTAP_ACCOUNT_ID": Self.account, "CAMPAIGN_PLAN_CLEVERTAP_PASSCODE": Self.passcode,
            "CAMPAIGN_PLAN_STATE_URL": state.url, "CAMPAIGN_PLAN_PGPASSWORD": state.password,
        ]
    }

    /// What the runner itself provides: the built `campaign` first on PATH, the sandbox standing in for CleverTap's
    /// host (a runner-side setting, never something the repository chooses), creates unthrottled for speed.
    var runnerEnvironment: [String: String] {
        var env = CIShell.baseEnvironment
        env["PATH"] = TestSupport.productsFolder + ":" + (env["PATH"] ?? "")
        env["CLEVERTAP_API_URL"] = sandbox.baseURL
        // The runner's CleverPush host (the key comes from the release's secrets only; campaigns/project.yaml names
        // its variable).
        env["CLEVERPUSH_API_URL"] = sandbox.baseURL
        // PersonaClick's host (its secret, like CleverPush's key, comes from the release's secrets only).
        env["PERSONACLICK_API_URL"] = sandbox.baseURL
        env["CAMPAIGN_CREATE_RATE"] = "100"
        env["RUNNER_TEMP"] = scratch + "/runner-temp"
        env["RUNNER_TOOL_CACHE"] = scratch + "/tool-cache"
        return env
    }

    func ledger(_ endpoint: String) async -> [JSONValue] {
        (await sandbox.state.ledgerJSON()["entries"]?.arrayValue ?? []).filter { $0["endpoint"]?.stringValue == endpoint }
    }

    func ledgerCounts() async -> [String: Int] { await sandbox.state.ledgerCounts() }

    /// CleverPush's ledger entries by action (`send`, `subscribe`, `tag`…).
    func cleverPushCounts() -> [String: Int] {
        sandbox.state.ledger.entries(provider: "cleverpush").reduce(into: [:]) { $0[$1["action"]?.stringValue ?? "?", default: 0] += 1 }
    }
}

/// `${{ … }}` expressions of the few forms the CI files use in `env:`, `with:`, `working-directory:` and `if:`.
/// Anything else is an error, so a new expression in a file is noticed here rather than skipped.
struct Expressions {
    var values: [String: String]     // "secrets.X", "inputs.X", "steps.install.outputs.bin", "github.token"

    func evaluate(_ text: String) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { throw CIError("unclosed expression in \(text)") }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = values[expression] else { throw CIError("the test does not know the value of ${{ \(expression) }}") }
            result += value
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// An `if:` of the form `inputs.x`, `!inputs.x` (with or without `${{ }}`); nil when there is none.
    func condition(_ text: String?) throws -> Bool {
        guard var text = text?.trimmingCharacters(in: .whitespaces) else { return true }
        if text.hasPrefix("${{"), text.hasSuffix("}}") { text = String(text.dropFirst(3).dropLast(2)).trimmingCharacters(in: .whitespaces) }
        let negated = text.hasPrefix("!")
        let name = negated ? String(text.dropFirst()).trimmingCharacters(in: .whitespaces) : text
        guard let value = values[name] else { throw CIError("the test cannot evaluate the condition \(text)") }
        let truthy = !value.isEmpty && value != "false" && value != "0"
        return negated ? !truthy : truthy
    }
}

/// `campaign` arguments, split as the action splits its `command` input (white space; quotes group).
func campaignWords(_ command: String) -> [String] {
    var words: [String] = []
    var word = ""
    var quote: Character?
    var inWord = false
    for character in command {
        if let q = quote {
            if character == q { quote = nil } else { word.append(character) }
        } else if character == "'" || character == "\"" {
            quote = character
            inWord = true
        } else if character.isWhitespace {
            if inWord { words.append(word) }
            word = ""
            inWord = false
        } else {
            word.append(character)
            inWord = true
        }
    }
    if inWord { words.append(word) }
    if words.first == "campaign" { words.removeFirst() }
    return words
}

/// What a campaign command line is for, read from its words.
enum CampaignRole: String, CaseIterable {
    case validate, plan, savePlan = "plan --out", apply, applyInit = "apply --init-state"

    init?(words: [String]) {
        switch words.first {
        case "validate": self = .validate
        case "plan": self = words.contains("--out") ? .savePlan : .plan
        case "apply": self = words.contains("--init-state") ? .applyInit : .apply
        default: return nil
        }
    }
}

// MARK: - GitHub Actions

/// One step of a workflow that runs `campaign`: through the composite action (`uses: …/campaign-as-code@…` or
/// `uses: ./`) or in a `run:` script.
struct GitHubCampaignStep: CustomStringConvertible {
    var file: String
    var job: String
    var index: Int
    var name: String
    /// The `command` input, or the `run:` script.
    var command: String
    var viaAction: Bool
    var role: CampaignRole?

    var description: String { "\((file as NSString).lastPathComponent) → \(job) → step \(index + 1) (\(name)): \(command)" }
}

struct GitHubWorkflow {
    let path: String
    let root: YAMLNode

    init(_ path: String) throws {
        self.path = path
        root = try CIFiles.load(path)
    }

    var jobs: [(key: String, value: YAMLNode)] { root["jobs"]?.pairs ?? [] }

    /// Event names under `on:`.
    var events: [String] {
        guard let on = root["on"] else { return [] }
        if let text = on.text { return [text] }
        return on.items.compactMap(\.text) + on.pairs.map(\.key)
    }

    static func usesCampaignAction(_ uses: String?) -> Bool {
        guard let uses else { return false }
        return uses == "./" || uses.range(of: #"^[^/@]+/campaign-as-code@.+$"#, options: .regularExpression) != nil
    }

    /// A `run:` script that calls campaign (a line or command starting with the word `campaign`).
    static func runsCampaign(_ script: String) -> Bool {
        script.range(of: #"(^|[\n;&|(]\s*)campaign\s"#, options: .regularExpression) != nil
    }

    var campaignSteps: [GitHubCampaignStep] {
        jobs.flatMap { job in
            job.value["steps"]?.items.enumerated().compactMap { index, step -> GitHubCampaignStep? in
                let name = step["name"]?.text ?? step["uses"]?.text ?? "step"
                if Self.usesCampaignAction(step["uses"]?.text) {
                    let command = step["with"]?["command"]?.text ?? ""
                    return GitHubCampaignStep(file: path, job: job.key, index: index, name: name, command: command, viaAction: true,
                                              role: CampaignRole(words: campaignWords(command)))
                }
                if let run = step["run"]?.text, Self.runsCampaign(run) {
                    return GitHubCampaignStep(file: path, job: job.key, index: index, name: name, command: run, viaAction: false,
                                              role: nil)
                }
                return nil
            } ?? []
        }
    }
}

/// The result of one emulated step.
struct StepResult {
    var step: GitHubCampaignStep
    var run: TestSupport.Run
    var outputs: [String: String]
}

/// Runs the campaign steps of one GitHub Actions job the way the runner would: workflow, job and step `env:`
/// evaluated with the world's secrets, `if:` conditions of the form `inputs.x`, the composite action's own run
/// step(s) with its inputs (the install step is left out: `campaign` is already on PATH; the install is tested
/// on its own with assets made by scripts/dist.sh).
struct GitHubRunner {
    let world: CIWorld
    let action: YAMLNode

    init(world: CIWorld) throws {
        self.world = world
        action = try CIFiles.load(CIFiles.actionFile)
    }

    func runJob(_ workflow: GitHubWorkflow, job name: String, event: String, inputs: [String: String] = [:],
                executed: inout Set<String>) async throws -> [StepResult] {
        guard let job = workflow.root["jobs"]?[name] else { throw CIError("\(workflow.path) has no job \(name)") }
        var values: [String: String] = [:]
        for (key, value) in world.githubSecrets { values["secrets." + key] = value }
        for (key, value) in inputs { values["inputs." + key] = value }
        let expressions = Expressions(values: values)
        var env = world.runnerEnvironment
        env["GITHUB_EVENT_NAME"] = event
        env["GITHUB_WORKSPACE"] = world.workspace
        for (key, value) in (workflow.root["env"]?.strings ?? [:]).merging(job["env"]?.strings ?? [:], uniquingKeysWith: { $1 }) {
            env[key] = try expressions.evaluate(value)
        }
        var results: [StepResult] = []
        let campaignSteps = workflow.campaignSteps.filter { $0.job == name }
        for (index, step) in (job["steps"]?.items ?? []).enumerated() {
            if step["uses"]?.text?.hasPrefix("actions/upload-artifact@") == true {
                // The artifact must be there to upload, at this point of the job.
                for path in step["with"]?["path"]?.text?.split(separator: "\n") ?? [] {
                    #expect(FileManager.default.fileExists(atPath: world.workspace + "/" + path), "\(name): nothing to upload at \(path)")
                }
            }
            guard let campaignStep = campaignSteps.first(where: { $0.index == index }) else { continue }
            guard try expressions.condition(step["if"]?.text) else { continue }
            var stepEnv = env
            for (key, value) in step["env"]?.strings ?? [:] { stepEnv[key] = try expressions.evaluate(value) }
            let result: StepResult
            if campaignStep.viaAction {
                result = try await runAction(step["with"]?.strings ?? [:], environment: stepEnv, step: campaignStep)
            } else {
                let run = try await CIShell.bash(campaignStep.command, environment: stepEnv, directory: world.workspace)
                result = StepResult(step: campaignStep, run: run, outputs: [:])
            }
            executed.insert(campaignStep.description)
            results.append(result)
        }
        return results
    }

    /// The composite action's steps after its install step, with `with` over the inputs' defaults.
    func runAction(_ with: [String: String], environment: [String: String], step: GitHubCampaignStep) async throws -> StepResult {
        var values: [String: String] = ["github.token": "", "steps.install.outputs.bin": ""]
        for (input, definition) in action["inputs"]?.pairs ?? [] {
            values["inputs." + input] = with[input] ?? definition["default"]?.text ?? ""
        }
        let expressions = Expressions(values: values)
        var last = TestSupport.Run(status: 0, stdout: "", stderr: "")
        var outputs: [String: String] = [:]
        for actionStep in action["runs"]?["steps"]?.items ?? [] where actionStep["id"]?.text != "install" {
            guard let script = actionStep["run"]?.text else { throw CIError("action.yml: a step without run:") }
            #expect(actionStep["shell"]?.text == "bash")
            var env = environment
            for (key, value) in actionStep["env"]?.strings ?? [:] { env[key] = try expressions.evaluate(value) }
            let outputFile = world.scratch + "/runner-temp/output-" + UUID().uuidString
            _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
            env["GITHUB_OUTPUT"] = outputFile
            env["GITHUB_STEP_SUMMARY"] = world.scratch + "/runner-temp/summary.md"
            env["GITHUB_ACTION_PATH"] = CIFiles.root
            let directory = try expressions.evaluate(actionStep["working-directory"]?.text ?? ".")
            last = try await CIShell.bash(script, environment: env, directory: world.workspace + "/" + directory)
            for line in (try String(contentsOfFile: outputFile, encoding: .utf8)).split(separator: "\n") {
                if let equals = line.firstIndex(of: "=") { outputs[String(line[..<equals])] = String(line[line.index(after: equals)...]) }
            }
            if last.status != 0 { break }
        }
        return StepResult(step: step, run: last, outputs: outputs)
    }
}

// MARK: - GitLab CI

struct GitLabPipeline {
    static let reserved: Set<String> = ["variables", "stages", "default", "include", "workflow", "image", "services",
                                        "before_script", "after_script", "cache", "pages"]
    let root: YAMLNode

    init() throws { root = try CIFiles.load(CIFiles.gitlabFile) }

    var jobs: [(key: String, value: YAMLNode)] {
        root.pairs.filter { !Self.reserved.contains($0.key) && !$0.key.hasPrefix(".") }
    }

    /// The job's `script` lines that call campaign.
    static func campaignLines(_ job: YAMLNode) -> [String] {
        (job["script"]?.lines ?? []).filter { GitHubWorkflow.runsCampaign($0) }
    }

    /// Top-level variables (a value, or `{value, description}`).
    var globalVariables: [String: String] {
        Dictionary(root["variables"]?.pairs.compactMap { p in (p.value.text ?? p.value["value"]?.text).map { (p.key, $0) } } ?? [],
                   uniquingKeysWith: { $1 })
    }

    /// `$NAME` and `${NAME}` in a job's variables, from the CI/CD variables and the file's own.
    static func expand(_ text: String, _ variables: [String: String]) throws -> String {
        var result = text
        for match in text.matches(of: /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/).reversed() {
            let name = String(match.1)
            guard let value = variables[name] else { throw CIError("the test does not know the GitLab variable \(name)") }
            result.replaceSubrange(match.range, with: value)
        }
        return result
    }

    /// Runs a job's `script` as the runner would (one bash script, stopping at the first failure); the
    /// `before_script` install is left out (`campaign` is already on PATH).
    func run(job name: String, world: CIWorld, pipelineVariables: [String: String] = [:]) async throws -> TestSupport.Run {
        guard let job = root[name] else { throw CIError(".gitlab-ci.yml has no job \(name)") }
        var known = world.gitlabVariables.merging(globalVariables) { $1 }.merging(pipelineVariables) { $1 }
        var env = world.runnerEnvironment
        env["CI"] = "true"
        env["GITLAB_CI"] = "true"
        for (key, value) in known { env[key] = value }
        for (key, value) in job["variables"]?.strings ?? [:] {
            env[key] = try Self.expand(value, known)
            known[key] = env[key]
        }
        let script = (job["script"]?.lines ?? []).joined(separator: "\n") + "\n"
        return try await CIShell.bash(script, environment: env, directory: world.workspace)
    }
}
