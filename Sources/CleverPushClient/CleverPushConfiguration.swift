import Foundation
import HTTPExchange

/// Where the CleverPush API is, the channel, the private key and the client's limits.
public struct CleverPushConfiguration: Sendable {
    /// CleverPush's API.
    public static let defaultURL = "https://api.cleverpush.com"
    /// The API's base URL (the sandbox's in tests).
    public var baseURL: String
    /// The channel every call is about (case-sensitive).
    public var channelID: String
    /// The raw private API key, sent as `Authorization`; never printed.
    public var privateKey: String
    /// Limits and timeouts.
    public var call = CallSettings()

    public init(baseURL: String = CleverPushConfiguration.defaultURL, channelID: String, privateKey: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.channelID = channelID
        self.privateKey = privateKey
    }

    /// The URL as shown: scheme, host and port only.
    public var displayURL: String { CallSettings.displayURL(baseURL, service: "CleverPush") }

    /// Refuses a key that could not travel in a header, and a URL with credentials.
    public func validate() throws(CleverPushError) {
        guard !privateKey.isEmpty, privateKey.count <= 512, privateKey.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw CleverPushError(.configuration, "the CleverPush private key is empty, too long, or holds characters a header cannot carry")
        }
        guard let url = URLComponents(string: baseURL), url.scheme == "http" || url.scheme == "https", url.host != nil, url.user == nil, url.password == nil else {
            throw CleverPushError(.configuration, "the CleverPush API URL must be http(s) without credentials")
        }
        guard !channelID.isEmpty, channelID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw CleverPushError(.configuration, "the CleverPush channel id is missing or not an id")
        }
        if let problem = call.problem(service: "CleverPush") { throw CleverPushError(.configuration, problem) }
    }
}
