/// The endpoints the sandbox serves.
public enum SandboxEndpoint {
    public static let create = "/1/targets/create.json"
    public static let stop = "/1/targets/stop.json"
    public static let result = "/1/targets/result.json"
    public static let list = "/1/targets/list.json"
    public static let sends = ["/1/send/push.json", "/1/send/email.json", "/1/send/webpush.json", "/1/send/sms.json"]
    public static let all = [create, stop, result, list] + sends

    static func isTargets(_ endpoint: String) -> Bool { endpoint.hasPrefix("/1/targets/") }
    static func isSend(_ endpoint: String) -> Bool { sends.contains(endpoint) }
}
