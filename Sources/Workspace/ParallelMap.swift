import Dispatch
import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `transform` applied to every element on all cores, results in the original order. For CPU-bound work on
    /// many independent items (parsing files); the work is split into a few chunks per core to keep overhead low.
    public func parallelMap<T: Sendable>(_ transform: @Sendable (Element) -> T) -> [T] {
        if count < 2 { return map(transform) }
        let chunks = Swift.min(count, 8 * Swift.max(1, System.coreCount))
        let results = Mutex<[Int: [T]]>([:])
        let items = self
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let lower = items.count * chunk / chunks
            let upper = items.count * (chunk + 1) / chunks
            var part: [T] = []
            part.reserveCapacity(upper - lower)
            for index in lower..<upper { part.append(transform(items[index])) }
            results.withLock { $0[chunk] = part }
        }
        return results.withLock { parts in (0..<chunks).flatMap { parts[$0] ?? [] } }
    }
}

enum System {
    static let coreCount = ProcessInfo.processInfo.activeProcessorCount
}
