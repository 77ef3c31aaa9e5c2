/// Hands out evenly spaced start times: at most one per `interval` seconds, in order of asking. Shared by the
/// providers' API clients.
///
/// A slot nobody asked for in time is not handed out later (`reserve` starts from now, never from the past), so the
/// gate never lets a backlog through as a burst; the price is that any gap in asking (callers busy with something
/// else, a slow start) is throughput lost for good. Callers therefore ask as soon as they hold their concurrency
/// permit and do their own preparation while they wait for the slot (see `CleverTapClient.once`).
///
/// CleverTap's sends: the default 980/s stretched by a `safety` of 1.02 is one start per 1.0408 ms, 960.8/s — 1000
/// sends take at least 1.04 s. The server counts arrivals over a sliding second (CleverTap documents 1000/s), so
/// this leaves room for ~39 arrivals bunched by scheduling or network jitter before a 429.
public actor RateGate {
    private let interval: Duration
    private var next: ContinuousClock.Instant?

    /// At most `rate` starts a second (no limit when it is 0 or less); `safety` stretches the interval a little, so
    /// that network jitter cannot bunch two arrivals closer than the server allows.
    public init(perSecond rate: Double, safety: Double = 1) {
        interval = rate > 0 ? .nanoseconds(Int64(1e9 / rate * safety)) : .zero
    }

    /// This caller's slot.
    public func reserve() -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        let slot = max(now, next ?? now)
        next = slot + interval
        return slot
    }
}

extension RateGate {
    /// Waits for this caller's slot.
    public nonisolated func wait() async throws {
        let slot = await reserve()
        if slot > ContinuousClock.now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}
