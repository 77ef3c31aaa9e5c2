import Dispatch
import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `transform` applied to every element on all cores, results in the original order. For CPU-bound work on
    /// many independent items (parsing files); the work is split into a few chunks per core to keep overhead low.
    @inlinable
    public func parallelMap<T: Sendable>(_ transform: @Sendable (Element) -> T) -> [T] {
        parallelMap(sliceState: {}) { _, element in transform(element) }
    }

    /// `transform` applied to every element on all cores, results in the original order, each worker's chunk
    /// sharing one `sliceState()` (a scratch buffer, say) that `transform` may change. Results are written in place
    /// into the array returned: nothing is copied or joined afterwards.
    @inlinable
    public func parallelMap<S, T: Sendable>(sliceState: @Sendable () -> S, _ transform: @Sendable (inout S, Element) -> T) -> [T] {
        let count = self.count
        let items = self
        return [T](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            let results = ResultSlots(buffer)
            forEachChunk(count: count) { _, range in
                var state = sliceState()
                for index in range { results.initialize(index, to: transform(&state, items[index])) }
            }
            initializedCount = count
        }
    }

    /// `transform` applied on all cores to consecutive index ranges that together cover the array (a few per
    /// core), results in the order of the ranges. For work whose output per range is cheaper to join than per
    /// element, such as serialized text.
    @inlinable
    public func parallelSlices<T: Sendable>(_ transform: @Sendable (Range<Int>) -> T) -> [T] {
        let count = self.count
        let chunks = Parallel.chunks(count: count)
        return [T](unsafeUninitializedCapacity: chunks.count) { buffer, initializedCount in
            let results = ResultSlots(buffer)
            forEachChunk(count: count) { chunk, range in
                results.initialize(chunk, to: transform(range))
            }
            initializedCount = chunks.count
        }
    }
}

/// How work on `count` items is split: a few consecutive ranges per core.
@usableFromInline
enum Parallel {
    @usableFromInline
    static let coreCount = ProcessInfo.processInfo.activeProcessorCount

    @usableFromInline
    static func chunks(count: Int) -> [Range<Int>] {
        if count == 0 { return [] }
        let chunks = Swift.min(count, 8 * Swift.max(1, coreCount))
        return (0..<chunks).map { count * $0 / chunks ..< count * ($0 + 1) / chunks }
    }
}

/// Runs `body` with the number and range of each of ``Parallel/chunks(count:)``, on all cores (inline when
/// there is only one).
@inlinable
func forEachChunk(count: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
    let chunks = Parallel.chunks(count: count)
    if chunks.count == 1 {
        body(0, chunks[0])
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks.count) { body($0, chunks[$0]) }
}

/// The uninitialized storage of an array being built, written from several threads: each slot exactly once, by
/// one thread (callers hand disjoint index ranges to the workers), and read only after all have finished.
@usableFromInline
struct ResultSlots<T>: @unchecked Sendable {
    @usableFromInline
    let base: UnsafeMutablePointer<T>?

    @inlinable
    init(_ buffer: UnsafeMutableBufferPointer<T>) {
        base = buffer.baseAddress
    }

    @inlinable
    func initialize(_ index: Int, to value: T) {
        (base! + index).initialize(to: value)
    }
}
