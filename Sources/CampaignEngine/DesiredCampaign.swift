import Foundation

/// What the campaign files say should exist, in provider-neutral terms.
///
/// Immutable, and shared by reference: a plan passes 10,000 of these between stages and actions, and a copy then
/// costs one reference count instead of one per string it holds.
public final class DesiredCampaign: Sendable {
    public let key: String
    public let name: String
    /// The file it is written in, relative to its project's root.
    public let file: String
    /// The project it belongs to (the same on every clone of the repository; see `ProjectRoot.identity`).
    public let project: String
    public let kind: Kind

    public enum Kind: Sendable {
        /// A campaign created once and delivered by the provider on schedule (CleverTap: a segment campaign).
        case scheduled(Scheduled)
        /// A send delivered at once to listed recipients (CleverTap: an identity send).
        case send(Send)
    }

    /// A scheduled campaign (immutable and shared, like the campaign).
    public final class Scheduled: Sendable {
        /// The create request (made when asked for: most plans need only the hash).
        public var request: ProviderRequest { makeRequest() }
        /// Makes ``request``.
        public let makeRequest: @Sendable () -> ProviderRequest
        /// sha256 of the request, the campaign's identity for change detection.
        public let requestHash: String
        /// `now` or the wall-clock time as the provider takes it (`YYYYMMDD HH:MM`).
        public let when: String
        /// The start as an instant; nil for `now`.
        public let startsAt: Date?
        /// The scheduled date as `YYYYMMDD` (for finding it in listings); nil for `now`.
        public let scheduledDate: Int?
        /// The files ask for it to be stopped.
        public let stopped: Bool

        /// A scheduled campaign whose create request is `request`.
        public convenience init(request: ProviderRequest, requestHash: String, when: String, startsAt: Date?, scheduledDate: Int?, stopped: Bool) {
            self.init(requestHash: requestHash, when: when, startsAt: startsAt, scheduledDate: scheduledDate, stopped: stopped) { request }
        }

        /// A scheduled campaign whose create request `makeRequest` makes, when asked for; `requestHash` must be the
        /// hash of that request.
        public init(
            requestHash: String, when: String, startsAt: Date?, scheduledDate: Int?, stopped: Bool,
            makeRequest: @escaping @Sendable () -> ProviderRequest
        ) {
            self.makeRequest = makeRequest
            self.requestHash = requestHash
            self.when = when
            self.startsAt = startsAt
            self.scheduledDate = scheduledDate
            self.stopped = stopped
        }
    }

    /// A one-shot send (immutable and shared, like the campaign).
    public final class Send: Sendable {
        /// sha256 of everything but the recipients.
        public let contentHash: String
        /// Every recipient, by kind, in order.
        public let recipients: [String: [String]]
        /// The requests that deliver to exactly the recipients given (batched as the provider requires).
        public let requests: @Sendable ([String: [String]]) -> [ProviderRequest]

        public init(contentHash: String, recipients: [String: [String]], requests: @escaping @Sendable ([String: [String]]) -> [ProviderRequest]) {
            self.contentHash = contentHash
            self.recipients = recipients
            self.requests = requests
        }
    }

    public init(key: String, name: String, file: String, project: String = ".", kind: Kind) {
        self.key = key
        self.name = name
        self.file = file
        self.project = project
        self.kind = kind
    }
}
