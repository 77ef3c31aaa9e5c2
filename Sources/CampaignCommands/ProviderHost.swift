import Foundation

/// Whether an `api_url` from `project.yaml` (repository content) is the provider's own API host, which needs no
/// permission from the runner: https, exactly that host (any letter case), no port but 443, no user, no path beyond
/// `/`, no query. A URL that merely starts with the host (`https://api.example.com.evil.example`) is another host.
enum ProviderHost {
    /// `official` is the provider's default API URL (`https://api.example.com`).
    static func isOwn(_ url: String, official: String) -> Bool {
        guard let expected = URLComponents(string: official)?.host?.lowercased(),
            let parts = URLComponents(string: url), parts.scheme?.lowercased() == "https",
            let host = parts.host?.lowercased(), host == expected,
            parts.port == nil || parts.port == 443, parts.user == nil, parts.password == nil,
            parts.path.isEmpty || parts.path == "/", parts.query == nil, parts.fragment == nil
        else { return false }
        return true
    }
}
