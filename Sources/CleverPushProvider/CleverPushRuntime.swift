import CampaignDeploy
import CampaignEngine
import CampaignLanguage
import CleverPushClient
import Foundation
import JSON

/// CleverPush behind the engine's ``ProviderRuntime``: notifications created once (names resolved through the
/// channel's listings just before sending; reconciled by listing the channel's notifications), tag and subscriber
/// rows performed one call per row, concurrently, each row's failure reported without failing the others.
public struct CleverPushRuntime: ProviderRuntime {
    /// The client every call goes through.
    public let client: CleverPushClient
    private let rules = CleverPushRules()

    public init(client: CleverPushClient) { self.client = client }

    public var name: String { rules.name }
    /// `sha256("cleverpush:" + channel id)`, shortened.
    public var account: String { String(ContentHash.sha256(Array(("cleverpush:" + client.configuration.channelID).utf8)).prefix(16)) }
    public func rules(for kind: String) -> KindRules? { rules.rules(for: kind) }
    public func isQueried(_ record: StateRecord, refresh: Bool) -> Bool { rules.isQueried(record, refresh: refresh) }

    public func summary(of record: StateRecord) -> String? { rules.summary(of: record) }
    public func checksBeforeCreate(_ request: ProviderRequest) -> Bool { rules.checksBeforeCreate(request) }

    /// Notifications found `sent` in the channel's listing (newest first, up to 1,000) are completed.
    public func live(_ records: [String: StateRecord], refresh: Bool) async throws(ProviderFailure) -> [String: LiveStatus] {
        let wanted = Dictionary(records.compactMap { key, record in record.id.map { ($0, key) } }, uniquingKeysWith: { first, _ in first })
        guard !wanted.isEmpty else { return [:] }
        var live: [String: LiveStatus] = [:]
        var offset = 0
        for _ in 0..<10 {
            let page: [CleverPushClient.ListedNotification]
            do { page = try await client.notifications(limit: 100, offset: offset) } catch { throw Self.failure(error) }
            for item in page {
                guard let key = wanted[item.id] else { continue }
                live[key] = item.status == "sent" ? .completed(facts: []) : .notCompleted
            }
            if page.count < 100 || live.count == wanted.count { break }
            offset += 100
        }
        return live
    }

    public func checkBeforeReplace(_ record: StateRecord) async -> (failure: ProviderFailure, observed: LiveStatus?)? {
        (ProviderFailure(code: "CP-REPLACE", message: "CleverPush resources are never replaced"), nil)
    }

    static func failure(_ error: CleverPushError) -> ProviderFailure { ProviderFailure(code: error.code, message: error.description) }

    /// Errors that are the whole run's, not a row's: every row would fail the same way.
    static func isGlobal(_ error: CleverPushError) -> Bool { error.kind == .unauthorized || error.kind == .configuration }

    public func perform(_ step: ApplyStep, record: StateRecord?) async -> StepOutcome {
        switch step {
        case .create(let request):
            return await send(request)
        case .deliver(let request):
            if request.path == CleverPushBinding.stateOnly { return .done(id: nil, facts: []) }
            return await deliver(request, record: record)
        case .update(let request) where request.path == CleverPushBinding.stateOnly:
            return .done(id: nil, facts: [])
        case .stop, .update:
            return .failed(ProviderFailure(code: "CP-STEP", message: "CleverPush resources are not stopped or updated in place"), neverSent: true)
        }
    }

    public func estimate(_ request: ProviderRequest) async throws(ProviderFailure) -> [(String, Int)] { [] }

    public func shutdown() async { await client.shutdown() }
}
