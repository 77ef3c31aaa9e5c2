import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import Testing

@Suite("State file: written as it is serialized, byte for byte the format it always was")
struct StateFileWriteTests {
    /// A record with every member, in the order the format has always had (the tree below is written out by hand,
    /// not produced by the code under test).
    static func fullRecord() -> StateRecord {
        var record = StateRecord(provider: "clevertap", kind: "identity", name: "Spring \"sale\"", file: "promos/spring.yaml", hash: "abc123",
                                 status: .unknown, at: "2030-01-01T00:00:00Z")
        record.project = "shop"
        record.schedule = "2030-06-01 10:00 Europe/Berlin"
        record.startsAt = Date(timeIntervalSince1970: 1_906_617_600)
        record.id = "1457000001"
        record.facts = [Fact("sent", "82"), Fact("clicked", "3")]
        record.fields = [ResourceField("content.title", "Hi"), ResourceField("devices", "android, ios")]
        record.batchesSent = 2
        record.delivered = ["identity": ["u1", "u2"], "email": ["a@example.com"]]
        record.intent = Intent(action: .send, startedAt: "2030-01-01T00:00:01Z", batch: 3, recipients: ["identity": ["u3"]])
        record.updatedAt = "2030-01-01T00:00:02Z"
        return record
    }

    static let fullRecordTree: JSONValue = .object([
        ("provider", .string("clevertap")), ("type", .string("identity")), ("name", .string("Spring \"sale\"")),
        ("file", .string("promos/spring.yaml")), ("project", .string("shop")), ("hash", .string("abc123")), ("status", .string("unknown")),
        ("schedule", .string("2030-06-01 10:00 Europe/Berlin")), ("starts_at", .string("2030-06-02T08:00:00Z")), ("id", .string("1457000001")),
        ("facts", .object([("sent", .string("82")), ("clicked", .string("3"))])),
        ("fields", .object([("content.title", .string("Hi")), ("devices", .string("android, ios"))])),
        ("batches_sent", .int(2)),
        ("delivered", .object([("email", .array([.string("a@example.com")])), ("identity", .array([.string("u1"), .string("u2")]))])),
        ("intent", .object([("action", .string("send")), ("started_at", .string("2030-01-01T00:00:01Z")), ("batch", .int(3)),
                            ("recipients", .object([("identity", .array([.string("u3")]))]))])),
        ("created_at", .string("2030-01-01T00:00:00Z")), ("updated_at", .string("2030-01-01T00:00:02Z")),
    ])

    @Test func aRecordsJSONKeepsItsMembersAndTheirOrder() {
        let record = Self.fullRecord()
        #expect(record.json == Self.fullRecordTree)
        #expect(JSONWriter(indent: nil).string(record.json(includingDelivered: false)).contains("delivered") == false)
    }

    /// A state far above the writer's one-megabyte flush (a send delivered to 150,000 members) is written in parts;
    /// the file is exactly the pretty-printed tree plus a newline, and reads back as the same state.
    @Test func aLargeStateIsWrittenInPartsAsTheSameBytes() throws {
        var state = EngineState(lineage: "0b9f2a1e-7c1d-4c53-9a43-5d8f1f3b6a10")
        state.serial = 41
        state.appliedPlans = ["plan-a", "plan-b"]
        state.accounts = ["clevertap": "SANDBOX-ACCOUNT", "cleverpush": "CHANNEL"]
        var big = Self.fullRecord()
        big.intent = nil
        big.status = .sent
        big.id = "1457000002"
        big.delivered = ["identity": (0..<150_000).map { "user-\($0)" }, "email": (0..<1_000).map { "p\($0)@example.com" }]
        state.campaigns["big"] = big
        state.campaigns["a-full"] = Self.fullRecord()
        state.campaigns["z-min"] = StateRecord(provider: "cleverpush", kind: "notification", name: "N", file: "n.yaml", hash: "h", status: .scheduled,
                                               at: "2030-01-01T00:00:00Z")
        let folder = try TestSupport.temporaryFolder()
        let store = StateStore(path: folder + "/state.json")
        var saved = state
        try store.save(&saved)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/state.json")))
        #expect(written.count > 2 << 20)
        var expected = JSONWriter(indent: 2).bytes(.object([
            ("format_version", .int(EngineState.currentFormatVersion)), ("lineage", .string(state.lineage)), ("serial", .int(42)),
            ("applied_plans", .array([.string("plan-a"), .string("plan-b")])),
            ("accounts", .object([("cleverpush", .string("CHANNEL")), ("clevertap", .string("SANDBOX-ACCOUNT"))])),
            ("campaigns", .object([("a-full", Self.fullRecordTree), ("big", big.json), ("z-min", state.campaigns["z-min"]?.json ?? .null)])),
        ]))
        expected.append(0x0A)
        // Compared as a Bool: a failure printing two megabytes of bytes would bury everything else.
        let same = written == expected
        #expect(same, "the file differs from the tree's text (\(written.count) vs \(expected.count) bytes)")
        let read = try store.load()
        #expect(read.campaigns == saved.campaigns)
        #expect(read.serial == 42 && read.appliedPlans == state.appliedPlans && read.accounts == state.accounts)
    }

    /// A journal line is the compact text of the same tree as before: the record without its delivered lists and
    /// the batch's members apart (or the record whole, or null).
    @Test func aJournalLineIsTheCompactTextOfItsTree() {
        let record = Self.fullRecord()
        let added = ["identity": ["u4", "u5"]]
        let line = JournalLine(lineage: "L", serial: 7, key: "promo", record: record, deliveredAdded: added)
        let expected = JSONWriter(indent: nil).bytes(.object([
            ("lineage", .string("L")), ("serial", .int(7)), ("key", .string("promo")), ("record", record.json(includingDelivered: false)),
            ("delivered_added", .object([("identity", .array([.string("u4"), .string("u5")]))])),
        ])) + [0x0A]
        #expect(line.bytes == expected)
        let whole = JournalLine(lineage: "L", serial: 8, key: "promo", record: record)
        #expect(whole.bytes == JSONWriter(indent: nil).bytes(.object([
            ("lineage", .string("L")), ("serial", .int(8)), ("key", .string("promo")), ("record", Self.fullRecordTree)])) + [0x0A])
        let gone = JournalLine(lineage: "L", serial: 9, key: "promo", record: nil)
        #expect(String(decoding: gone.bytes, as: UTF8.self) == "{\"lineage\":\"L\",\"serial\":9,\"key\":\"promo\",\"record\":null}\n")
    }
}
