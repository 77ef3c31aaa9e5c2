#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Crash points for tests: `CAMPAIGN_FAILPOINT=after-intent|after-send|after-response|after-save` kills the
/// process with SIGKILL the first time it passes that point (no cleanup, like a power cut).
enum Failpoint: String {
    /// The intent is saved; the request is not made.
    case afterIntent = "after-intent"
    /// The provider has answered; nothing is done with the answer.
    case afterSend = "after-send"
    /// The answer is recorded in memory; state is not saved.
    case afterResponse = "after-response"
    /// State is saved with the outcome.
    case afterSave = "after-save"

    static let armed: Failpoint? = ProcessInfo.processInfo.environment["CAMPAIGN_FAILPOINT"].flatMap(Failpoint.init(rawValue:))

    static func hit(_ point: Failpoint) {
        if armed == point { kill(getpid(), SIGKILL) }
    }
}
