import CleverPushClient
import CleverTapClient
import HTTPExchange
import PersonaClickClient
import Testing

/// The retry rules every API client shares, checked once, without a network.
@Suite("HTTPExchange: the retry rules of one call")
struct CallAttemptsTests {
    let limits = CallAttempts.Limits(retries: 2, backoff: 0.2, rateLimitWaits: 3, retryAfter: 7)

    /// The answers `attempts` gives to `exchanges`, in order.
    func run(_ exchanges: [CallAttempts.Exchange], idempotent: Bool) -> [CallAttempts.Next] {
        var attempts = CallAttempts(limits, idempotent: idempotent, service: "Toy", displayURL: "https://toy.example")
        return exchanges.map { attempts.next(after: $0) }
    }

    @Test func answersBelow500AreTheClientsToRead() {
        for status in [200, 201, 400, 401, 403, 404] {
            #expect(run([.answer(status: status, retryAfter: nil)], idempotent: false) == [.answered(status: status)])
        }
    }

    @Test func a429IsWaitedOutWithoutSpendingARetryUpToItsOwnLimit() {
        let next = run([.answer(status: 429, retryAfter: 2), .answer(status: 429, retryAfter: nil), .failed(.neverSent("x")), .failed(.neverSent("x")),
                        .answer(status: 429, retryAfter: nil), .answer(status: 429, retryAfter: nil)], idempotent: false)
        #expect(next[0] == .retry(after: 2, rateLimited: true))
        #expect(next[1] == .retry(after: 7, rateLimited: true))
        // Both retries are still there for failures…
        guard case .retry(_, rateLimited: false) = next[2], case .retry(_, rateLimited: false) = next[3] else {
            Issue.record("\(next)")
            return
        }
        // …and the third 429 is the last one waited out.
        #expect(next[4] == .retry(after: 7, rateLimited: true))
        #expect(next[5] == .failed(CallFailure(.rateLimited, "Toy kept answering 429 Too Many Requests", httpStatus: 429)))
    }

    @Test func aServersRetryAfterIsBoundedWhateverItSays() {
        // `Retry-After` is a server's text: infinite, huge or negative values wait within [0, maxWait].
        let bounded = CallAttempts.Limits(retries: 0, backoff: 0.2, rateLimitWaits: 9, retryAfter: 7, maxWait: 300)
        var attempts = CallAttempts(bounded, idempotent: false, service: "Toy", displayURL: "https://toy.example")
        let asked: [Double] = [.infinity, .nan, 1e20, -5, 42]
        let waits = asked.map { attempts.next(after: .answer(status: 429, retryAfter: $0)) }
        #expect(waits == [.retry(after: 7, rateLimited: true), .retry(after: 7, rateLimited: true), .retry(after: 300, rateLimited: true),
                          .retry(after: 0, rateLimited: true), .retry(after: 42, rateLimited: true)])
    }

    @Test func eachClientThrowsAFailureAsItsOwnKind() {
        let failures: [(CallFailure.Kind, String, String, String)] = [
            (.rateLimited, "CT429", "CP429", "PC429"), (.serverError, "CT5XX", "CP5XX", "PC5XX"), (.outcomeUnknown, "CT-UNKNOWN", "CP-UNKNOWN", "PC-UNKNOWN"),
            (.unreachable, "CT-UNREACHABLE", "CP-NET", "PC-NET"), (.configuration, "CT-CONFIG", "CP-CONFIG", "PC-CONFIG"),
        ]
        for (kind, clevertap, cleverpush, personaclick) in failures {
            let failure = CallFailure(kind, "m", httpStatus: 500)
            #expect(CleverTapError(failure, endpoint: "/p").code == clevertap)
            #expect(CleverPushError(failure, path: "/p").code == cleverpush)
            #expect(PersonaClickError(failure, path: "/p").code == personaclick)
        }
        // The limits CleverTap's settings give: attempts after the first.
        let settings = CleverTapConfiguration(baseURL: "https://eu1.api.clevertap.com", credentials: CleverTapCredentials(accountID: "A", passcode: "P"), maxAttempts: 3)
        #expect(settings.limits.retries == 2)
    }

    @Test func neverSentIsRetriedThenUnreachableWhateverTheCall() {
        for idempotent in [false, true] {
            let next = run([.failed(.neverSent("refused")), .failed(.neverSent("refused")), .failed(.neverSent("refused"))], idempotent: idempotent)
            #expect(next.prefix(2).allSatisfy { if case .retry(_, rateLimited: false) = $0 { true } else { false } }, "\(next)")
            #expect(next[2] == .failed(CallFailure(.unreachable, "could not reach https://toy.example: refused")))
        }
    }

    @Test func noAnswerOrA5xxIsRetriedOnlyForAnIdempotentCall() {
        // Not idempotent: it may have acted, so it is never sent again.
        #expect(run([.failed(.maybeSent("timed out"))], idempotent: false) == [.failed(CallFailure(.outcomeUnknown, "no answer (timed out); the request may or may not have acted"))])
        #expect(run([.answer(status: 502, retryAfter: nil)], idempotent: false)
            == [.failed(CallFailure(.outcomeUnknown, "the server failed after receiving the request; it may or may not have acted", httpStatus: 502))])
        // Idempotent: retried, then given up on.
        let silent = run([.failed(.maybeSent("timed out")), .failed(.maybeSent("timed out")), .failed(.maybeSent("timed out"))], idempotent: true)
        #expect(silent.prefix(2).allSatisfy { if case .retry(_, rateLimited: false) = $0 { true } else { false } }, "\(silent)")
        #expect(silent[2] == .failed(CallFailure(.unreachable, "no answer from https://toy.example: timed out")), "\(silent)")
        let failing = run([.answer(status: 500, retryAfter: nil), .answer(status: 503, retryAfter: nil), .answer(status: 503, retryAfter: nil)], idempotent: true)
        #expect(failing.prefix(2).allSatisfy { if case .retry(_, rateLimited: false) = $0 { true } else { false } }, "\(failing)")
        #expect(failing[2] == .failed(CallFailure(.serverError, "the server kept failing", httpStatus: 503)), "\(failing)")
        // A retry cures it.
        #expect(run([.answer(status: 500, retryAfter: nil), .answer(status: 200, retryAfter: nil)], idempotent: true).last == .answered(status: 200))
    }

    @Test func aRequestTheLibraryRefusedEndsAtOnce() {
        for idempotent in [false, true] {
            #expect(run([.failed(.refusedLocally("bad header"))], idempotent: idempotent) == [.failed(CallFailure(.configuration, "bad header"))])
        }
    }

    @Test func retriesBackOffDoublingWithJitter() {
        var attempts = CallAttempts(limits, idempotent: true, service: "Toy", displayURL: "https://toy.example")
        for retry in 1...2 {
            guard case .retry(let wait, _) = attempts.next(after: .failed(.neverSent("x"))) else {
                Issue.record("no retry \(retry)")
                return
            }
            let base = 0.2 * Double(1 << (retry - 1))
            #expect(wait >= base * 0.5 && wait <= base * 1.5, "retry \(retry): \(wait)")
        }
        #expect(attempts.retries == 2)
    }
}
