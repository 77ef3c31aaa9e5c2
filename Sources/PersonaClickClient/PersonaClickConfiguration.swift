import Foundation
import HTTPExchange

/// Where the PersonaClick API is, the shop, its secret and the client's limits.
public struct PersonaClickConfiguration: Sendable {
    /// PersonaClick's API.
    public static let defaultURL = "https://api.personaclick.com"
    /// The API's base URL (the sandbox's in tests).
    public var baseURL: String
    /// The shop every call is about.
    public var shopID: String
    /// The shop secret: in the JSON body of a POST, in `X-Shop-Secret` of a GET; never in a URL, never printed.
    public var shopSecret: String
    /// Limits and timeouts.
    public var call = CallSettings()

    public init(baseURL: String = PersonaClickConfiguration.defaultURL, shopID: String, shopSecret: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.shopID = shopID
        self.shopSecret = shopSecret
    }

    /// The URL as shown: scheme, host and port only.
    public var displayURL: String { CallSettings.displayURL(baseURL, service: "PersonaClick") }

    /// Refuses a secret that could not travel in a header, a URL with credentials or a query, and a malformed shop id.
    public func validate() throws(PersonaClickError) {
        guard !shopSecret.isEmpty, shopSecret.count <= 512, shopSecret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw PersonaClickError(.configuration, "the PersonaClick shop secret is empty, too long, or holds characters a header cannot carry")
        }
        guard let url = URLComponents(string: baseURL), url.scheme == "http" || url.scheme == "https", url.host != nil, url.user == nil, url.password == nil, url.query == nil else {
            throw PersonaClickError(.configuration, "the PersonaClick API URL must be http(s) without credentials or query")
        }
        guard !shopID.isEmpty, shopID.count <= 128, shopID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw PersonaClickError(.configuration, "the PersonaClick shop id is missing or not an id")
        }
        if let problem = call.problem(service: "PersonaClick") { throw PersonaClickError(.configuration, problem) }
    }
}
