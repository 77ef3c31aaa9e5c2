/// Hands out evenly spaced start times: at most one per `interval` seconds, in order of asking.
///
/// A slot nobody asked for in time is not handed out later (`reserve` starts from now, never from the past), so the
/// gate never lets a backlog through as a burst; the price is that any gap in asking (callers busy with something
/// else, a slow start) is throughput lost for good. Callers therefore ask as soon as they hold their concurrency
/// permit and do their own preparation while they wait for the slot (see `CleverTapClient.once`).
///
/// Sends: the default 980/s stretched by `safety` is one start per 1.0408 ms, 960.8/s — 1000 sends take at least
/// 1.04 s. The server counts arrivals over a sliding second (CleverTap documents 1000/s), so this leaves room for
/// ~39 arrivals bunched by scheduling or network jitter before a 429.
actor RateGate {
    private let interval: Duration
    private var next: ContinuousClock.Instant?

    /// `safety` stretches the interval a little, so that network jitter cannot bunch two arrivals closer than the
    /// server allows.
    init(perSecond rate: Double, safety: Double = 1.02) {
        interval = rate > 0 ? .nanoseconds(Int64(1e9 / rate * safety)) : .zero
    }

    /// Waits for this caller's slot.
    func reserve() -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        let slot = max(now, next ?? now)
        next = slot + interval
        return slot
    }
}

extension RateGate {
    nonisolated func wait() async throws {
        let slot = await reserve()
        if slot > ContinuousClock.now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}

/// A counting semaphore for async code: at most `permits` holders at once, served first come, first served.
actor AsyncSemaphore {
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
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
