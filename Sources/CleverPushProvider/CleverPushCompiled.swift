import CampaignEngine
import CampaignModel
import CleverPushClient
import JSON

/// What `campaign compile` shows of CleverPush resources: the requests each makes for all its members, ordered by key
/// and batch, in a fixed form. Pure and deterministic. (Names, user ids and per-row look-ups are resolved by the
/// runtime when applying; a sync's path names the project's channel.)
public enum CleverPushCompiled {
    /// One compiled request.
    public struct Request: Sendable {
        public var key: String
        /// The resource's type (`notification`, `tag_audience`, `subscribers`).
        public var type: String
        public var path: String
        /// 1-based, of `batches`.
        public var batch: Int
        public var batches: Int
        public var body: JSONValue

        /// `{"key", "provider", "type", "method", "path", "batch", "batches", "body"}`.
        public var json: JSONValue {
            .object([
                ("key", .string(key)), ("provider", .string(CleverPushRules.name)), ("type", .string(type)), ("method", .string("POST")),
                ("path", .string(path)), ("batch", .int(batch)), ("batches", .int(batches)), ("body", body),
            ])
        }
    }

    /// The requests of `resources` (one project's, whose zone is `timezone` and channel `channel`), by key, then batch.
    public static func requests(_ resources: [CleverPushResource], timezone: String, channel: String) -> [Request] {
        let placeholder = CleverPushPaths.sync(channel: "{channelId}")
        return CleverPushBinding.desired(resources, timezone: timezone).sorted { $0.key < $1.key }.flatMap { resource -> [Request] in
            let made = resource.requests(members: resource.members).filter { $0.path != CleverPushBinding.stateOnly }
            return made.enumerated().map { index, request in
                Request(key: resource.key, type: resource.kind, path: request.path == placeholder ? CleverPushPaths.sync(channel: channel) : request.path,
                        batch: index + 1, batches: made.count, body: request.body)
            }
        }
    }
}
