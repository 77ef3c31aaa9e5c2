/// What the PersonaClick half of the sandbox accepts: a shop id and secret, a rate limit, double opt-in, a ledger file.
public struct PersonaClickSandboxConfiguration: Sendable {
    /// The shop served, and its secret (in a POST's body, or a GET's `X-Shop-Secret`).
    public var shopID: String
    public var shopSecret: String
    /// Requests accepted per second (a sliding second); one more is answered 429 with `Retry-After`.
    public var rate: Int
    /// Whether `confirm_email` works (off: it answers 400, as the API does without double opt-in).
    public var doubleOptIn: Bool
    /// Append every request to this file as JSON lines (`{"provider": "personaclick", …}`).
    public var ledgerPath: String?

    public init(shopID: String = "SANDBOX-SHOP", shopSecret: String = "sandbox-shop-secret", rate: Int = 1000, doubleOptIn: Bool = true, ledgerPath: String? = nil) {
        self.shopID = shopID
        self.shopSecret = shopSecret
        self.rate = rate
        self.doubleOptIn = doubleOptIn
        self.ledgerPath = ledgerPath
    }
}
