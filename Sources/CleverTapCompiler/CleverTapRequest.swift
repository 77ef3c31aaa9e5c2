import JSON

/// One HTTP request to CleverTap that a campaign compiles to.
public struct CleverTapRequest: Sendable, Hashable {
    /// The campaign's key.
    public var key: String
    public var method: String
    /// The endpoint, e.g. `/1/targets/create.json`.
    public var path: String
    /// The JSON body.
    public var body: JSONValue
    /// 1-based batch number of an identity send, and how many batches it has (1 for campaigns).
    public var batch: Int
    public var batchCount: Int

    public init(key: String, method: String = "POST", path: String, body: JSONValue, batch: Int = 1, batchCount: Int = 1) {
        self.key = key
        self.method = method
        self.path = path
        self.body = body
        self.batch = batch
        self.batchCount = batchCount
    }

    /// `{"key", "method", "path", ["batch", "batches",] "body"}`; batch fields only for identity sends.
    public var json: JSONValue {
        CleverTapCompiler.tree { emitter in
            Self.emitEnvelope(key: key, method: method, path: path, batch: batch, batchCount: batchCount, into: &emitter) { $0.value(body) }
        }
    }

    /// Emits the request object with the body that `body` emits.
    static func emitEnvelope<E: JSONEmitter>(
        key: String, method: String, path: String, batch: Int, batchCount: Int, into e: inout E, body: (inout E) -> Void
    ) {
        e.beginObject()
        e.member("key", key)
        e.member("method", method)
        e.member("path", path)
        if path.hasPrefix("/1/send/") {
            e.member("batch", batch)
            e.member("batches", batchCount)
        }
        e.key("body")
        body(&e)
        e.endObject()
    }
}

/// CleverTap's endpoints.
public enum CleverTapEndpoint {
    public static let createTarget = "/1/targets/create.json"
    public static let stopTarget = "/1/targets/stop.json"
    public static let targetResult = "/1/targets/result.json"
    public static let listTargets = "/1/targets/list.json"
    public static let sendPush = "/1/send/push.json"
    public static let sendEmail = "/1/send/email.json"
    public static let sendWebPush = "/1/send/webpush.json"
    public static let sendSMS = "/1/send/sms.json"
}
