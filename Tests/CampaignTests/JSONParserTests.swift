import CampaignEngine
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
        var first = JSONTextEmitter.continuingArray(indent: 2, itemLevel: 2, hasItems: false)
        first.value(items[0])
        var rest = JSONTextEmitter.continuingArray(indent: 2, itemLevel: 2, hasItems: true)
        for item in items.dropFirst() { rest.value(item) }
        let assembled = writer.objectWithArrayHead(key: "requests", isEmpty: false) + first.bytes + rest.bytes + writer.objectWithArrayTail(isEmpty: false)
        #expect(assembled == whole)
        let empty = writer.objectWithArrayHead(key: "requests", isEmpty: true) + writer.objectWithArrayTail(isEmpty: true)
        #expect(empty == writer.bytes(.object([("requests", .array([]))])))
        let compact = JSONWriter(indent: nil)
        var compactItems = JSONTextEmitter.continuingArray(indent: nil, itemLevel: 2, hasItems: false)
        for item in items { compactItems.value(item) }
        #expect(compact.objectWithArrayHead(key: "requests", isEmpty: false) + compactItems.bytes + compact.objectWithArrayTail(isEmpty: false)
                == compact.bytes(.object([("requests", .array(items))])))
        #expect(JSONWriter(indent: nil).string(.string("a\u{2028}b")) == "\"a\\u2028b\"")
    }
}

@Suite("JSON emitters")
struct JSONEmitterTests {
    /// The plain, byte-at-a-time escaping the writer's fast path must agree with.
    static func reference(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u00" + (hex.count == 1 ? "0" : "") + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    @Test func escapingAgreesWithTheReferenceWhereverTheSpecialCharacterSits() {
        // Runs of plain text of every length up to 24 with one special character at every position: the
        // eight-bytes-at-a-time scan must stop for each of them, whatever its offset in the word.
        let specials: [String] = ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\u{7F}", "é", "\u{2028}", "€", "😀", "\u{0}"]
        let writer = JSONWriter(indent: nil)
        for length in 0...24 {
            let plain = String(repeating: "a", count: length)
            #expect(writer.string(.string(plain)) == Self.reference(plain))
            for special in specials {
                for position in 0...length {
                    let text = String(plain.prefix(position)) + special + String(plain.dropFirst(position))
                    #expect(writer.string(.string(text)) == Self.reference(text), "\(Array(text.utf8))")
                }
            }
        }
        // Bytes just around the thresholds the scan tests (0x1F/0x20, 0x21/0x22/0x23, 0x5B/0x5C/0x5D, 0x7F).
        let edges = String(decoding: [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7E], as: UTF8.self)
        #expect(writer.string(.string(edges)) == "\"" + edges + "\"")
    }

    @Test func textEmitterWritesWhatTheWriterWrites() throws {
        let value = try JSONParser().parse(#"{"a":[1,-2,10,1234567890,{"b":{},"c":[]}],"d":"x","e":null,"f":true,"g":false,"h":[[],[{}]]}"#)
        for indent in [nil, 2, 4] as [Int?] {
            var emitter = JSONTextEmitter(indent: indent)
            emitter.value(value)
            #expect(emitter.bytes == JSONWriter(indent: indent).bytes(value))
        }
        var numbers = JSONTextEmitter(indent: nil)
        numbers.beginArray()
        for number in [0, 9, 10, 99, 100, 20260101, -1, -10, Int.max, Int.min] { numbers.int(number) }
        numbers.endArray()
        #expect(String(decoding: numbers.bytes, as: UTF8.self) == "[0,9,10,99,100,20260101,-1,-10,\(Int.max),\(Int.min)]")
    }

    @Test func deepNestingBeyondSixtyFourLevelsKeepsSeparators() {
        // Each level holds an item before the nested array and one after it: a lost "has items" flag would drop or
        // add a comma.
        for depth in [63, 64, 65, 128, 129, 200] {
            var emitter = JSONTextEmitter(indent: nil)
            for _ in 0..<depth {
                emitter.beginArray()
                emitter.int(1)
            }
            for level in 0..<depth {
                emitter.endArray()
                if level < depth - 1 { emitter.int(2) }
            }
            let expected = String(repeating: "[1,", count: depth - 1) + "[1]" + String(repeating: ",2]", count: depth - 1)
            #expect(String(decoding: emitter.bytes, as: UTF8.self) == expected, "depth \(depth)")
            var tree = JSONValue.array([.int(1)])
            for _ in 1..<depth { tree = .array([.int(1), tree, .int(2)]) }
            var pretty = JSONTextEmitter(indent: 1)
            pretty.value(tree)
            #expect(pretty.bytes == JSONWriter(indent: 1).bytes(tree), "depth \(depth)")
            #expect((try? JSONParser().parse(pretty.bytes)) == tree)
        }
    }

    @Test func treeEmitterBuildsTheTreeEmitted() throws {
        let value = try JSONParser().parse(#"{"a":[1,{"b":{},"c":[]}],"d":"x","e":null,"f":true,"g":[[],[{"h":-1.5e3}]]}"#)
        var emitter = JSONTreeEmitter()
        emitter.value(value)
        #expect(emitter.value == value)
    }
}

@Suite("JSON reader")
struct JSONReaderTests {
    @Test func readsPieceByPieceAndSkipsWhatIsNotWanted() throws {
        var reader = JSONReader(Array(#" {"a": "x", "b": 12, "c": [1, {"d": [true, null]}], "e": "not a number", "f": 1.5, "g": []} "#.utf8))
        try reader.beginObject()
        var seen: [String: String] = [:]
        while let key = try reader.nextKey() {
            switch key {
            case "a": seen[key] = try reader.string()
            case "b", "e", "f": seen[key] = (try reader.intIfAny()).map(String.init) ?? "-"
            case "g":
                try reader.beginArray()
                #expect(try reader.nextItem() == false)
                seen[key] = "[]"
            default:
                try reader.skipValue()
                seen[key] = "skipped"
            }
        }
        try reader.finish()
        #expect(seen == ["a": "x", "b": "12", "c": "skipped", "e": "-", "f": "-", "g": "[]"])
    }

    @Test(arguments: [#"{"a" 1}"#, #"{"a": 1,}"#, #"{"a": 1 "b": 2}"#, #"[1 2]"#, #"{"a": [1,]}"#, #"{"a": {"#])
    func skippingStillValidates(text: String) {
        #expect(throws: JSONReader.Failure.self) {
            var reader = JSONReader(Array(text.utf8))
            try reader.skipValue()
            try reader.finish()
        }
    }
}

@Suite("JSON reader: damaged input")
struct JSONReaderRobustnessTests {
    /// A small deterministic generator, so a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    @Test func damagedTextIsParsedOrRefusedNeverCrashes() throws {
        let sample = Array(#"{"format_version": 1, "lineage": "l", "serial": 2, "campaigns": {"a/b": {"type": "scheduled", "status": "completed", "name": "Spring \u00e9 \"sale\"", "id": 1009999, "stats": {"sent": 100, "clicked": 7}, "when": "20300202 10:07", "x": [true, false, null, -1.5e3, [], {}]}}}"#.utf8)
        let alphabet = Array(#"{}[]":,\ 0123456789-+.eEtruefalsn"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xE2, 0xFF]
        var generator = Generator(state: 2026)
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = sample
            for _ in 0...generator.next(3) {
                let at = generator.next(bytes.count)
                switch generator.next(3) {
                case 0: bytes[at] = alphabet[generator.next(alphabet.count)]
                case 1: bytes.insert(alphabet[generator.next(alphabet.count)], at: at)
                default: bytes.removeSubrange(at..<min(bytes.count, at + 1 + generator.next(8)))
                }
                if bytes.isEmpty { bytes = [0x20] }
            }
            // Either refused with a position inside the text, or parsed into a tree that writes and reads back the same.
            do {
                let value = try JSONParser().parse(bytes)
                accepted += 1
                #expect(try JSONParser().parse(JSONWriter(indent: nil).bytes(value)) == value)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
            // The state decoder reads the same text without a tree; it too refuses or decodes, and never crashes.
            _ = try? EngineState(jsonText: bytes)
        }
        #expect(accepted > 0)
    }
}
