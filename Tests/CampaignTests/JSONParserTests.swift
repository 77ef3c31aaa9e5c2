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
        #expect(writer.objectWithArray(key: "requests", serializedItems: items.map { writer.bytes($0, level: 2) }) == whole)
        #expect(writer.objectWithArray(key: "requests", serializedItems: []) == writer.bytes(.object([("requests", .array([]))])))
        #expect(JSONWriter(indent: nil).string(.string("a\u{2028}b")) == "\"a\\u2028b\"")
    }
}
