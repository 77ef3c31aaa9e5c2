import JSON

/// One change to state, as a line of the state's append-only journal: the key, the record as it is now (nil: it
/// went), and — for a delivery — only the members the change added, not the whole list. A 1,000,000-recipient
/// send therefore writes each recipient once per delivery rather than the whole list after every batch.
public struct JournalLine: Sendable {
    public var lineage: String
    public var serial: Int
    public var key: String
    public var record: StateRecord?
    /// Members appended to the record's delivered lists by this change (the line's record then omits them).
    public var deliveredAdded: [String: [String]]?

    public init(lineage: String, serial: Int, key: String, record: StateRecord?, deliveredAdded: [String: [String]]? = nil) {
        self.lineage = lineage
        self.serial = serial
        self.key = key
        self.record = record
        self.deliveredAdded = deliveredAdded
    }

    /// The line's text, with its newline. Written straight to text, without a tree: one line per delivered batch,
    /// carrying the next batch's members in the intent and this batch's in `delivered_added`.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        JSONWriter(indent: nil).append(into: &out) { e in
            e.beginObject()
            e.member("lineage", lineage)
            e.member("serial", serial)
            e.member("key", key)
            e.key("record")
            if let record { record.emit(into: &e, includingDelivered: deliveredAdded == nil) } else { e.null() }
            if let deliveredAdded {
                e.key("delivered_added")
                StateRecord.emitRecipients(deliveredAdded, into: &e)
            }
            e.endObject()
        }
        out.append(0x0A)
        return out
    }
}

extension EngineState {
    /// The state with the journal's lines applied: lines at or below the state's serial were folded into it already
    /// and are skipped; a line of another lineage, or out of order, is an error. A last line without its newline
    /// was never completely written (so never acted on) and is ignored.
    public mutating func replay(journal bytes: [UInt8]) throws(StateFileError) {
        var start = 0
        var number = 0
        while start < bytes.count {
            guard let end = bytes[start...].firstIndex(of: 0x0A) else { break }
            number += 1
            let text = Array(bytes[start..<end])
            start = end + 1
            do {
                try apply(line: text, number: number)
            } catch let error as StateFileError {
                throw error
            } catch {
                throw StateFileError("journal line \(number): \(error)")
            }
        }
    }

    private mutating func apply(line text: [UInt8], number: Int) throws {
        var reader = JSONReader(text)
        guard try reader.peek() == .object else { throw StateFileError("journal line \(number) is not an object") }
        try reader.beginObject()
        var lineLineage: String?, lineSerial: Int?, key: String?, recordAt: Int?, added: JSONValue?
        var removed = false
        while let member = try reader.nextKey() {
            switch member {
            case "lineage": lineLineage = try Self.text(&reader, "lineage")
            case "serial": lineSerial = try Self.integer(&reader, "serial")
            case "key": key = try Self.text(&reader, "key")
            case "record":
                if try reader.peek() == .null {
                    try reader.null()
                    removed = true
                } else {
                    recordAt = reader.offset
                    try reader.skipValue()
                }
            case "delivered_added": added = try reader.value()
            default: try reader.skipValue()
            }
        }
        try reader.finish()
        guard let lineLineage, let lineSerial, let key, removed || recordAt != nil else {
            throw StateFileError("journal line \(number) lacks lineage, serial, key or record")
        }
        guard lineLineage == lineage else { throw StateFileError("the journal belongs to another state (lineage \(Self.shown(lineLineage)))") }
        if lineSerial <= serial { return }  // folded into the snapshot already
        guard lineSerial < Self.countLimit else { throw StateFileError("journal line \(number) has a serial too large") }
        guard lineSerial == serial + 1 else { throw StateFileError("the journal skips from serial \(serial) to \(lineSerial)") }
        if removed {
            campaigns[key] = nil
        } else if let recordAt {
            var recordReader = JSONReader(text, offset: recordAt)
            var record = try StateRecord(reading: &recordReader, key: key, version: Self.currentFormatVersion)
            if let added {
                record.delivered = campaigns[key]?.delivered ?? [:]
                for (kind, ids) in try Self.members(added, "delivered_added") { record.delivered[kind, default: []] += ids }
            }
            campaigns[key] = record
        }
        serial = lineSerial
    }
}
