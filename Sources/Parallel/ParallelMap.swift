import Dispatch
import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `transform` applied to every element on all cores, results in the original order. For CPU-bound work on
    /// many independent items (parsing files); the work is split into a few chunks per core to keep overhead low.
    @inlinable
    public func parallelMap<T: Sendable>(_ transform: @Sendable (Element) -> T) -> [T] {
        if count < 2 { return map(transform) }
        let items = self
        let parts = parallelSlices { range in
            var part: [T] = []
            part.reserveCapacity(range.count)
            for index in range { part.append(transform(items[index])) }
            return part
        }
        var result: [T] = []
        result.reserveCapacity(count)
        for part in parts { result.append(contentsOf: part) }
        return result
    }

    /// `transform` applied on all cores to consecutive index ranges that together cover the array (a few per
    /// core), results in the order of the ranges. For work whose output per range is cheaper to join than per
    /// element, such as serialized text.
    @inlinable
    public func parallelSlices<T: Sendable>(_ transform: @Sendable (Range<Int>) -> T) -> [T] {
        let count = self.count
        if count == 0 { return [] }
        let chunks = Swift.min(count, 8 * Swift.max(1, System.coreCount))
        if chunks == 1 { return [transform(0..<count)] }
        let results = Mutex<[Int: T]>([:])
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let part = transform(count * chunk / chunks ..< count * (chunk + 1) / chunks)
            results.withLock { $0[chunk] = part }
        }
        return results.withLock { parts in (0..<chunks).compactMap { parts[$0] } }
    }
}

/// The machine, as far as fanning out is concerned.
@usableFromInline
enum System {
    @usableFromInline
    static let coreCount = ProcessInfo.processInfo.activeProcessorCount
}
