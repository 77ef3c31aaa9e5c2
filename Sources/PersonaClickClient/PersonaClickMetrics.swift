/// What the client did, for tests, summaries and benchmarks.
public actor PersonaClickMetrics {
    public private(set) var requests = 0
    public private(set) var rateLimited = 0
    public private(set) var retries = 0
    func sent() { requests += 1 }
    func limited() { rateLimited += 1 }
    func retried() { retries += 1 }
}
