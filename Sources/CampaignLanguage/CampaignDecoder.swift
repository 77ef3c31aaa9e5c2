import CampaignModel
import Diagnostics
import YAMLFrontEnd

/// What decoding one campaign file produced.
public struct CampaignFileResult: Sendable {
    public var campaigns: [Campaign]
    /// `provider: cleverpush` resources.
    public var cleverPush: [CleverPushResource] = []
    /// `provider: personaclick` resources.
    public var personaClick: [PersonaClickResource] = []
    public var diagnostics: [Diagnostic]
    /// Files the campaigns referred to (recipient CSVs), for showing diagnostics in them.
    public var resources: [SourceFile]

    public init(campaigns: [Campaign], diagnostics: [Diagnostic], resources: [SourceFile]) {
        self.campaigns = campaigns
        self.diagnostics = diagnostics
        self.resources = resources
    }
}

/// Turns campaign files into typed ``Campaign``s, checking every rule of the language that one file can check.
/// Pure apart from `ResourceReader`, which supplies referenced CSV files.
public enum CampaignDecoder {
    /// Decodes every document of `file`. `relativePath` is the file's path below the campaigns root (for the
    /// default key).
    public static func decode(
        _ file: SourceFile, relativePath: String, context: ProjectContext, resources: any ResourceReader,
        limits: YAMLLimits = YAMLLimits()
    ) -> CampaignFileResult {
        let parsed = YAMLParser.parse(file.bytes, file: file.path, limits: limits)
        if parsed.hasErrors { return CampaignFileResult(campaigns: [], diagnostics: parsed.diagnostics, resources: []) }
        var result = CampaignFileResult(campaigns: [], diagnostics: parsed.diagnostics, resources: [])
        let documents = parsed.documents.filter { !$0.root.isNull }
        if documents.isEmpty {
            result.diagnostics.append(.error(
                CampaignDiagnosticCode.noCampaign, "file holds no campaign", at: SourceLocation(file: file.path, line: 1, column: 1),
                hint: "a campaign file holds one or more YAML documents, each a campaign with at least `name` and `content`"))
            return result
        }
        for document in documents {
            var decoder = DocumentDecoder(
                file: file.path, relativePath: relativePath, multiDocument: documents.count > 1, context: context, resources: resources)
            // The provider decides the language: `provider:` of the document, else the project's.
            let provider = document.root.mapping != nil ? (document.root["provider"]?.scalar?.value ?? context.settings.provider) : nil
            if provider == CleverPushFields.provider {
                if let resource = decoder.cleverPush(document) { result.cleverPush.append(resource) }
            } else if provider == PersonaClickFields.provider {
                if let resource = decoder.personaClick(document) { result.personaClick.append(resource) }
            } else if let campaign = decoder.decode(document) {
                result.campaigns.append(campaign)
            }
            result.diagnostics += decoder.checker.diagnostics
            result.resources += decoder.loaded
        }
        return result
    }

    /// The default key for a file at `relativePath`: the path without its `.yaml`/`.yml` extension.
    public static func defaultKey(forRelativePath relativePath: String) -> String {
        for suffix in [".yaml", ".yml"] where relativePath.hasSuffix(suffix) {
            return String(relativePath.dropLast(suffix.count))
        }
        return relativePath
    }

    /// Whether `key` follows `[a-z0-9][a-z0-9._/-]*` and every `/`-separated part of it is a name: not empty, not
    /// `.` and not `..`. A key names files (`campaign compile --out` writes `KEY.json`), so it must not climb out
    /// of a folder or name the folder itself.
    public static func isValidKey(_ key: String) -> Bool {
        hasKeyCharacters(key) && keySegmentProblem(key) == nil
    }

    /// Whether `key` follows `[a-z0-9][a-z0-9._/-]*` (the characters alone; see ``isValidKey(_:)``).
    static func hasKeyCharacters(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard let first = bytes.first, isLowerAlnum(first) else { return false }
        return bytes.dropFirst().allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "-") }
    }

    /// What is wrong with the `/`-separated parts of `key` (an empty part, `.` or `..`), or nil when nothing is.
    static func keySegmentProblem(_ key: String) -> String? {
        for segment in key.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty { return "it has an empty part (`//`, or `/` at the end)" }
            if segment.allSatisfy({ $0 == UInt8(ascii: ".") }), segment.count <= 2 {
                return "`\(segment.count == 1 ? "." : "..")` cannot be a part of a key"
            }
        }
        return nil
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}

/// Decodes one document into a campaign.
struct DocumentDecoder {
    let file: String
    let relativePath: String
    let multiDocument: Bool
    let context: ProjectContext
    let resources: any ResourceReader
    var checker = Checker()
    var loaded: [SourceFile] = []

    init(file: String, relativePath: String, multiDocument: Bool, context: ProjectContext, resources: any ResourceReader) {
        self.file = file
        self.relativePath = relativePath
        self.multiDocument = multiDocument
        self.context = context
        self.resources = resources
    }

    /// The campaign, or nil when any error was found.
    mutating func decode(_ document: YAMLDocument) -> Campaign? {
        var root = document.root
        guard root.mapping != nil else {
            checker.error(CampaignDiagnosticCode.wrongType, "a campaign must be a mapping, not \(Checker.describe(root))", at: root,
                          hint: "start with `name: …` at the beginning of a line")
            return nil
        }
        // The type decides which defaults apply, so read it before merging.
        let ownType = root["type"]?.scalar?.value ?? context.defaults?["type"]?.scalar?.value
        // Segment campaigns take their channel from their own document only (see DefaultsMerge).
        let ownChannel = root["channel"]?.scalar?.value ?? (ownType == "identity" ? context.defaults?["channel"]?.scalar?.value : nil)
        if let defaults = context.defaults {
            root = DefaultsMerge.merge(root, defaults: defaults, isIdentity: ownType == "identity", channel: ownChannel)
        }
        guard let fields = checker.fields(root, what: "a campaign", allowed: CampaignFields.topLevel,
                                          extraHints: ["title": "`title` belongs inside `content`", "body": "`body` belongs inside `content`",
                                                       "when": "the language calls it `schedule`", "where": "the language calls it `audience`"])
        else { return nil }

        // The provider decides the language of the rest; this build's resources are all CleverTap's.
        if let node = fields["provider"], let provider = checker.string(node, field: "provider"), !CampaignFields.providers.contains(provider) {
            checker.error(CampaignDiagnosticCode.unknownProvider, "unknown provider \(Quoting.code(provider))", at: node,
                          hint: "this build has " + CampaignFields.providers.map { "`\($0)`" }.joined(separator: ", ") + "; leave `provider:` out for the project's default")
            return nil
        }
        let keyInfo = key(fields, document: document)
        let name = fields["name"].flatMap { checker.string($0, field: "name") }
        if fields["name"] == nil {
            checker.error(CampaignDiagnosticCode.missingField, "campaign has no `name`", at: document.location,
                          hint: "add `name: …`; it is shown in the CleverTap dashboard and must be unique")
        }
        var type = CampaignType.segment
        if let node = fields["type"] { type = checker.choice(node, field: "type", as: CampaignType.self) ?? .segment }

        for field in type == .identity ? CampaignFields.segmentOnly : CampaignFields.identityOnly {
            guard let keyNode = fields.keyNode(field) else { continue }
            let message = type == .identity
                ? "`\(field)` is for segment campaigns; identity sends go to their recipients at once"
                : "`\(field)` is for identity sends (`type: identity`)"
            if field == "schedule", type == .identity, fields["schedule"]?.scalar?.value == "now" { continue }
            checker.error(CampaignDiagnosticCode.notForType, message, at: keyNode,
                          hint: field == "schedule" ? "identity sends take no schedule other than `now`" : nil)
        }

        var writtenChannel: Channel?
        if let node = fields["channel"] {
            writtenChannel = checker.choice(node, field: "channel", as: Channel.self)
            if writtenChannel == nil {
                // Every other rule depends on the channel: go on with the one suggested (the error is reported, so no
                // campaign results), or stop here when nothing is close.
                guard let text = node.scalar?.value, let suggested = Suggestions.closest(to: text, in: Channel.allCases.map(\.rawValue)) else { return nil }
                writtenChannel = Channel(rawValue: suggested)
            }
        }
        let channel = writtenChannel ?? .push

        let delivery: Delivery?
        switch type {
        case .segment: delivery = segment(fields, document: document, channel: writtenChannel).map(Delivery.segment)
        case .identity: delivery = identity(fields, document: document, channel: channel).map(Delivery.identity)
        }
        let content = self.content(fields, document: document, channel: channel, type: type)
        let platforms = platformSpecific(fields, document: document, delivery: delivery, type: type, channel: channel)
        let options = self.options(fields, type: type, channel: channel, schedule: delivery.flatMap(\.segmentSchedule))

        guard !checker.hasErrors, let keyInfo, let name, let delivery, let content, let platforms else { return nil }
        return Campaign(
            key: keyInfo.key, name: name, delivery: delivery, content: content.content, platformSpecific: platforms, options: options.options,
            origin: Origin(file: file, document: document.location, key: keyInfo.location, name: fields["name"]?.location ?? document.location,
                           tagGroup: options.tagGroupLocation),
            contentOptions: content.options)
    }

    mutating func key(_ fields: Fields, document: YAMLDocument) -> (key: String, location: SourceLocation)? {
        if let node = fields["key"] {
            guard let key = checker.string(node, field: "key") else { return nil }
            guard DocumentDecoder.validKey(key) else {
                if CampaignDecoder.hasKeyCharacters(key), let problem = CampaignDecoder.keySegmentProblem(key) {
                    checker.error(CampaignDiagnosticCode.invalidKey, "invalid key \(Quoting.code(key)): \(problem)", at: node,
                                  hint: "each `/`-separated part of a key must be a name: not empty, not `.` and not `..` (a key names files, e.g. `promos/spring` → `promos/spring.json`)")
                } else {
                    checker.error(CampaignDiagnosticCode.invalidKey, "invalid key \(Quoting.code(key))", at: node,
                                  hint: "keys use lower-case letters, digits, `.`, `_`, `/` and `-`, and start with a letter or digit")
                }
                return nil
            }
            return (key, node.location)
        }
        if multiDocument {
            checker.error(CampaignDiagnosticCode.keyRequired, "a file with several campaigns needs a `key` in each", at: document.location,
                          hint: "add `key: \(CampaignDecoder.defaultKey(forRelativePath: relativePath))/…` to every document")
            return nil
        }
        let derived = CampaignDecoder.defaultKey(forRelativePath: relativePath)
        guard DocumentDecoder.validKey(derived) else {
            checker.error(CampaignDiagnosticCode.invalidKey, "the key derived from the file's path, \(Quoting.code(derived)), is not a valid key", at: document.location,
                          hint: "rename the file (lower-case letters, digits, `.`, `_`, `/`, `-`) or set `key:`")
            return nil
        }
        return (derived, document.location)
    }

    static func validKey(_ key: String) -> Bool { CampaignDecoder.isValidKey(key) }
}

extension Delivery {
    /// A segment campaign's schedule.
    var segmentSchedule: Schedule? {
        if case .segment(let segment) = self { return segment.schedule }
        return nil
    }
}
