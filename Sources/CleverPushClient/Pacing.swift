/// Evenly spaced start times: at most one per `1/rate` seconds, in order of asking (a rate cap).
actor RequestPace {
    private let interval: Duration
    private var next: ContinuousClock.Instant?

    init(perSecond rate: Double) {
        interval = rate > 0 ? .nanoseconds(Int64(1e9 / rate)) : .zero
    }

    func reserve() -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        let slot = max(now, next ?? now)
        next = slot + interval
        return slot
    }

    nonisolated func wait() async throws {
        let slot = await reserve()
        if slot > ContinuousClock.now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}

/// At most `permits` holders at once, first come, first served.
actor RequestGate {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { available = permits }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { available += 1 } else { waiters.removeFirst().resume() }
    }
}

/// What the client did, for tests, summaries and benchmarks.
public actor CleverPushMetrics {
    public private(set) var requests = 0
    public private(set) var rateLimited = 0
    public private(set) var retries = 0
    func sent() { requests += 1 }
    func limited() { rateLimited += 1 }
    func retried() { retries += 1 }
}
