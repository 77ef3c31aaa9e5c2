/// Hands out evenly spaced start times: at most one per `interval` seconds, in order of asking.
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
