import CampaignCommands
import Foundation
import Logging
import Testing

/// `api_url` in `project.yaml` is repository content: a host other than the provider's own gets the key only when the
/// runner allows it. "Its own" means exactly its host over https, not a URL that merely starts with it.
@Suite("Provider hosts: a project may name only the provider's own API host")
struct ProviderHostTests {
    static let lookalikes = [
        "https://api.cleverpush.com.evil.example", "https://api.cleverpush.com@evil.example", "http://api.cleverpush.com",
        "https://api.cleverpush.com:8443", "https://evil.example/https://api.cleverpush.com",
    ]

    static func context(_ settings: String) throws -> DeployContext {
        let fixture = try ProjectFixture(["a.yaml": "name: A\naudience: {event: App Launched, from: 2030-01-01, to: 2030-01-02}\ndevices: [ios]\ncontent: {title: T, body: B}\nschedule: now\n"],
                                         project: "timezone: UTC\n" + settings)
        return try DeployContext.load(paths: [fixture.root], statePath: nil, environmentName: nil, environment: [:])
    }

    /// Whether a CleverPush client is made for `url` (and shut down again).
    static func cleverPushClientMade(_ url: String, allow: Bool = false) async throws -> Bool {
        let context = try context("cleverpush: {channel_id: CH1, api_url: \"\(url)\"}\n")
        guard let client = try? context.cleverPushClient(environment: ["CLEVERPUSH_PRIVATE_KEY": "k"], logger: Logger(label: "t"), allowCustomURL: allow) else { return false }
        await client.shutdown()
        return true
    }

    static func personaClickClientMade(_ url: String) async throws -> Bool {
        let context = try context("personaclick: {shop_id: S1, api_url: \"\(url)\"}\n")
        guard let client = try? context.personaClickClient(environment: ["PERSONACLICK_SHOP_SECRET": "s"], logger: Logger(label: "t")) else { return false }
        await client.shutdown()
        return true
    }

    @Test func aCleverPushURLThatOnlyStartsWithItsHostIsRefused() async throws {
        for url in Self.lookalikes { #expect(try await !Self.cleverPushClientMade(url), "\(url)") }
        for url in ["https://api.cleverpush.com", "https://api.cleverpush.com/", "https://API.cleverpush.com"] {
            #expect(try await Self.cleverPushClientMade(url), "\(url)")
        }
        // Allowed by the runner: any URL.
        #expect(try await Self.cleverPushClientMade("https://api.cleverpush.com.evil.example", allow: true))
    }

    @Test func aPersonaClickURLThatOnlyStartsWithItsHostIsRefused() async throws {
        for url in Self.lookalikes.map({ $0.replacingOccurrences(of: "cleverpush", with: "personaclick") }) {
            #expect(try await !Self.personaClickClientMade(url), "\(url)")
        }
        #expect(try await Self.personaClickClientMade("https://api.personaclick.com"))
    }
}
