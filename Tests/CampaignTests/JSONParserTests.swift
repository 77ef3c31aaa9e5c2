import JSON
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test func roundTripsWithOrderAndNumbersKept() throws {
        let text = #"{"z":1,"a":[true,false,null,-0.5e+3,"x\"\\\/\n\u00e9\ud83d\ude00"],"o":{},"l":[]}"#
        let value = try JSONParser().parse(text)
        #expect(value["z"] == .number("1"))
        #expect(value["a"] == .array([.bool(true), .bool(false), .null, .number("-0.5e+3"), .string("x\"\\/\né😀")]))
        #expect(JSONWriter(indent: nil).string(value) == #"{"z":1,"a":[true,false,null,-0.5e+3,"x\"\\/\né😀"],"o":{},"l":[]}"#)
        #expect(try JSONParser().parse(" [ [ ] , { \"k\" : [ 1 ] } ] ") == .array([.array([]), .object([("k", .array([.number("1")]))])]))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", "tru", "\"\\x\"", "\"\u{01}\"", "[1] 2", "{1:2}", "\"\\ud800\""])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser().parse(text) }
    }

    @Test func writerEscapesEveryCharacterThatNeedsIt() {
        let writer = JSONWriter(indent: nil)
        #expect(writer.string(.string("q\"b\\n\nr\rt\tb\u{08}f\u{0C}c\u{01}\u{1F}")) == #""q\"b\\n\nr\rt\tb\bf\fc\u0001\u001f""#)
        // U+2028/U+2029 are escaped; other characters starting with the same byte (0xE2) are kept as UTF-8.
        #expect(writer.string(.string("a\u{2028}b\u{2029}c€d…")) == "\"a\\u2028b\\u2029c€d…\"")
        #expect(writer.string(.string("\u{2027}")) == "\"\u{2027}\"")
        #expect(writer.string(.string("")) == "\"\"")
        // Whatever is written parses back to the same string.
        let tricky = "x\u{0}\"\\\u{2028}é😀\u{7F}"
        #expect((try? JSONParser().parse(writer.bytes(.string(tricky)))) == .string(tricky))
    }

    @Test func stringsMustBeValidUTF8() {
        // Raw bytes: a lone continuation byte and a truncated sequence inside strings.
        #expect(throws: JSONParser.Failure.self) { try JSONParser().parse([0x22, 0x61, 0x80, 0x22]) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser().parse([0x22, 0xC3, 0x22]) }
        #expect((try? JSONParser().parse([0x22, 0xC3, 0xA9, 0x22])) == .string("é"))
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.Failure.self) { try JSONParser().parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONParser().parse(fine)) != nil)
    }
}

@Suite("JSON writer: assembled documents")
struct JSONAssemblyTests {
    @Test func assemblingPreSerializedItemsMatchesWritingTheWholeDocument() {
        let items: [JSONValue] = [.object([("a", .int(1)), ("b", .array([.string("x"), .object([])]))]), .array([]), .string("s\u{2028}")]
        let writer = JSONWriter(indent: 2)
        let whole = writer.bytes(.object([("requests", .array(items))]))
        // Items in two separately written parts, as `compile` does in parallel.
        var first: [UInt8] = []
        writer.appendArrayItem(items[0], isFirst: true, into: &first)
        var rest: [UInt8] = []
        for item in items.dropFirst() { writer.appendArrayItem(item, isFirst: false, into: &rest) }
        let assembled = writer.objectWithArrayHead(key: "requests", isEmpty: false) + first + rest + writer.objectWithArrayTail(isEmpty: false)
        #expect(assembled == whole)
        let empty = writer.objectWithArrayHead(key: "requests", isEmpty: true) + writer.objectWithArrayTail(isEmpty: true)
        #expect(empty == writer.bytes(.object([("requests", .array([]))])))
        let compact = JSONWriter(indent: nil)
        var compactItems: [UInt8] = []
        for (index, item) in items.enumerated() { compact.appendArrayItem(item, isFirst: index == 0, into: &compactItems) }
        #expect(compact.objectWithArrayHead(key: "requests", isEmpty: false) + compactItems + compact.objectWithArrayTail(isEmpty: false)
                == compact.bytes(.object([("requests", .array(items))])))
        #expect(JSONWriter(indent: nil).string(.string("a\u{2028}b")) == "\"a\\u2028b\"")
    }
}
