import Diagnostics

/// The recipients of one kind collected so far, in order, and where each was first listed: what finds a repeat.
///
/// Why not a `[String: SourceLocation]` beside the list: at a million rows that dictionary alone held about 100 MB
/// (48-byte entries in a table of 2^21 buckets), the largest part of `campaign validate`'s and `campaign apply`'s
/// peak memory on a million-recipient file. Here the table holds 8-byte slots that point into the list (each string
/// is stored once), and the first listings are packed in 12 bytes each. Measured on the million-row benchmark file
/// (`make bench`, apply-sends): peak RSS of `campaign validate` 238 MiB before, 109 MiB after (and 1.9 s to 0.8 s).
struct RecipientIndex {
    /// Where a value was first listed: an index into `files`, the line and the column.
    private struct Place {
        var file: UInt32
        var line: Int32
        var column: Int32
    }

    /// The values, in the order they were first listed (as written; emails keep their letter case).
    private(set) var values: [String] = []
    private var places: [Place] = []
    /// The files values came from (one or two: the campaign file and its CSV).
    private var files: [String] = []
    /// Open addressing with linear probing, at most half full. 0 is an empty slot; otherwise the high 32 bits are
    /// the key's hash bits (compared before any string) and the low 32 the value's index + 1.
    private var slots: [UInt64] = []
    /// Emails are the same recipient in any letter case.
    private let ignoresCase: Bool

    init(ignoresCase: Bool) {
        self.ignoresCase = ignoresCase
    }

    var count: Int { values.count }

    /// Makes room for `more` values without growing the table on the way.
    mutating func reserve(_ more: Int) {
        values.reserveCapacity(values.count + more)
        places.reserveCapacity(places.count + more)
        grow(toHold: values.count + more)
    }

    /// Adds `value` first listed at `location`, or returns where it was first listed if it is a repeat.
    mutating func add(_ value: String, at location: SourceLocation) -> SourceLocation? {
        let key = ignoresCase ? value.lowercased() : value
        let hash = Self.hash(key)
        if slots.isEmpty || (values.count + 1) * 2 > slots.count { grow(toHold: values.count + 1) }
        let mask = slots.count - 1
        let tag = UInt64(UInt32(truncatingIfNeeded: hash >> 32)) << 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let entry = slots[slot]
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(entry & 0xFFFF_FFFF) - 1
                if self.key(index) == key { return self.location(index) }
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = tag | UInt64(values.count + 1)
        values.append(value)
        places.append(Place(file: fileIndex(location.file), line: Int32(clamping: location.line), column: Int32(clamping: location.column)))
        return nil
    }

    private func key(_ index: Int) -> String { ignoresCase ? values[index].lowercased() : values[index] }

    private func location(_ index: Int) -> SourceLocation {
        let place = places[index]
        return SourceLocation(file: files[Int(place.file)], line: Int(place.line), column: Int(place.column))
    }

    private mutating func fileIndex(_ file: String) -> UInt32 {
        if let last = files.indices.last, files[last] == file { return UInt32(last) }
        if let index = files.firstIndex(of: file) { return UInt32(index) }
        files.append(file)
        return UInt32(files.count - 1)
    }

    private static func hash(_ key: String) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(key)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    /// A table of the next power of two at least twice `count`, every value placed again.
    private mutating func grow(toHold count: Int) {
        var capacity = max(slots.count, 16)
        while capacity < count * 2 { capacity *= 2 }
        guard capacity > slots.count else { return }
        var table = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for index in values.indices {
            let hash = Self.hash(key(index))
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = UInt64(UInt32(truncatingIfNeeded: hash >> 32)) << 32 | UInt64(index + 1)
        }
        slots = table
    }
}
