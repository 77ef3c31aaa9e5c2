import Diagnostics
import Testing
@testable import YAMLFrontEnd

@Suite("YAML front end: tree and positions")
struct YAMLTreeTests {
    @Test func everyNodeAndKeyCarriesItsPosition() throws {
        let result = try TestSupport.parseFixture("yaml/styles.yaml")
        #expect(result.diagnostics.isEmpty)
        let root = try #require(result.documents.first?.root)
        let pairs = try #require(root.mapping)
        #expect(root.position == "2:1")
        #expect(root.location.file.hasSuffix("yaml/styles.yaml"))
        #expect(pairs[0].key.position == "2:1")
        #expect(pairs[0].value.position == "2:8")
        let list = try #require(root["block_list"])
        #expect(list.position == "15:3")
        #expect(list.sequence?.map(\.position) == ["15:5", "16:5"])
        let flow = try #require(root["flow_map"]?.mapping)
        #expect(flow.map(\.key.position) == ["18:12", "18:18"])
        #expect(flow.map(\.value.position) == ["18:15", "18:21"])
        // Columns count characters, not bytes: `é` is two bytes in UTF-8.
        let accented = try #require(pairs.last)
        #expect(accented.key.scalar?.value == "é1")
        #expect(accented.value.position == "19:7")
    }

    @Test func scalarsStayStringsWithTheirStyle() throws {
        let root = try #require(try TestSupport.parseFixture("yaml/styles.yaml").documents.first?.root)
        #expect(root["plain"]?.scalar == YAMLScalar("NO", style: .plain))
        #expect(root["on"]?.scalar == YAMLScalar("on", style: .plain))
        #expect(root["zip"]?.scalar == YAMLScalar("0123", style: .plain))
        #expect(root["exp"]?.scalar == YAMLScalar("1e3", style: .plain))
        #expect(root["single"]?.scalar == YAMLScalar("it's", style: .singleQuoted))
        #expect(root["double"]?.scalar == YAMLScalar("tab\there é", style: .doubleQuoted))
        #expect(root["literal"]?.scalar == YAMLScalar("line one\nline two\n", style: .literal))
        #expect(root["folded"]?.scalar == YAMLScalar("folded text\n", style: .folded))
        #expect(root["flow_list"]?.sequence?.compactMap(\.scalar?.style) == [.plain, .doubleQuoted, .singleQuoted])
        // The key `on` is a plain string key, not a boolean.
        #expect(root.mapping?.map { $0.key.scalar?.value } .contains("on") == true)
    }

    @Test func explicitTagsAreKept() throws {
        let result = TestSupport.parse("a: !!str 12\nb: !!int \"7\"\n")
        let root = try #require(result.documents.first?.root)
        #expect(root["a"]?.scalar?.tag == "tag:yaml.org,2002:str")
        #expect(root["b"]?.scalar == YAMLScalar("7", style: .doubleQuoted, tag: "tag:yaml.org,2002:int"))
    }

    @Test func multiDocumentStreams() throws {
        let result = try TestSupport.parseFixture("yaml/multi.yaml")
        #expect(result.diagnostics.isEmpty)
        #expect(result.documents.count == 3)
        #expect(result.documents[0].root["name"]?.scalar?.value == "first")
        #expect(result.documents[1].root["name"]?.scalar?.value == "second")
        #expect(result.documents[1].root.position == "3:1")
        #expect(result.documents[2].root.sequence?.first?.scalar?.value == "third")
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let result = try TestSupport.parseFixture("yaml/anchors.yaml")
        #expect(result.diagnostics.isEmpty)
        let root = try #require(result.documents.first?.root)
        let android = try #require(root["android"]?.mapping)
        // Merged keys take the place of `<<`; the explicit key wins over the merged one.
        #expect(android.compactMap(\.key.scalar?.value) == ["wzrk_cid", "sound"])
        #expect(root["android"]?["sound"]?.scalar?.value == "loud")
        #expect(root["android"]?["wzrk_cid"]?.scalar?.value == "promo")
        // A merged pair keeps the position where it was written (in the anchored mapping).
        #expect(root["android"]?["wzrk_cid"]?.position == "2:13")
        #expect(root["again"]?.sequence?.compactMap(\.scalar?.value) == ["1", "2"])
        // In a list of merge sources, earlier sources win.
        let several = try #require(root["several"])
        #expect(several["sound"]?.scalar?.value == "default")
        #expect(several["extra"]?.scalar?.value == "yes")
        #expect(several.mapping?.count == 3)
    }

    @Test func emptyInputHasNoDocuments() throws {
        let result = try TestSupport.parseFixture("yaml/empty.yaml")
        #expect(result.documents.isEmpty)
        #expect(result.diagnostics.isEmpty)
        let onlyMarker = TestSupport.parse("---\n")
        #expect(onlyMarker.documents.count == 1)
        #expect(onlyMarker.documents[0].root.isNull)
    }
}

@Suite("YAML front end: hostile and broken input")
struct YAMLHostileInputTests {
    @Test func syntaxErrorsCarryLibyamlsProblemAndPosition() throws {
        let result = try TestSupport.parseFixture("yaml/syntax-error.yaml")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(diagnostic.code == "Y001")
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.message == "mapping values are not allowed in this context")
        #expect(diagnostic.location?.line == 3)
        #expect(diagnostic.location?.column == 14)
        #expect(diagnostic.hint?.contains("quoted") == true)

        let flow = try TestSupport.parseFixture("yaml/unclosed-flow.yaml")
        let unclosed = try #require(flow.diagnostics.first)
        #expect(unclosed.code == "Y001")
        #expect(unclosed.related.first?.message == "while parsing a flow sequence")
        #expect(unclosed.related.first?.location.line == 1)
        #expect(unclosed.related.first?.location.column == 10)
    }

    @Test func duplicateKeysNameBothPositions() throws {
        let result = try TestSupport.parseFixture("yaml/duplicate-keys.yaml")
        #expect(result.diagnostics.count == 2)
        let nested = try #require(result.diagnostics.first { $0.message.contains("`title`") })
        #expect(nested.code == "Y002")
        #expect(nested.location?.line == 5)
        #expect(nested.location?.column == 3)
        #expect(nested.related.map(\.location.line) == [3])
        let top = try #require(result.diagnostics.first { $0.message.contains("`name`") })
        #expect(top.location?.line == 6)
        #expect(top.related.first?.location.line == 1)
        #expect(top.related.first?.message == "first defined here")
    }

    @Test func tabsUsedAsIndentation() throws {
        let result = try TestSupport.parseFixture("yaml/tab-indent.yaml")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code == "Y003")
        #expect(diagnostic.location?.line == 2)
        #expect(diagnostic.location?.column == 1)
        #expect(diagnostic.hint?.contains("spaces") == true)
        // A tab inside a value is fine.
        #expect(TestSupport.parse("a: \"x\ty\"\nb: 1\n").diagnostics.isEmpty)
    }

    @Test func invalidUTF8() throws {
        let result = try TestSupport.parseFixture("yaml/invalid-utf8.yaml")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code == "Y004")
        #expect(diagnostic.message.contains("UTF-8"))
        #expect(diagnostic.location?.line == 1)
        // `name: "café ` is 12 characters; the bad byte is the 13th.
        #expect(diagnostic.location?.column == 13)
    }

    @Test func undefinedAliasesAndBadMerges() throws {
        let alias = try TestSupport.parseFixture("yaml/undefined-alias.yaml")
        #expect(alias.diagnostics.map(\.code) == ["Y007"])
        #expect(alias.diagnostics.first?.location?.column == 4)
        let merge = try TestSupport.parseFixture("yaml/bad-merge.yaml")
        #expect(merge.diagnostics.map(\.code) == ["Y008"])
        #expect(merge.diagnostics.first?.location?.line == 2)
    }

    @Test func tenMegabyteFileParsesWithoutTrouble() throws {
        var text = "campaigns:\n"
        var index = 0
        while text.utf8.count < 10_000_000 {
            text += "  - {name: \"campaign \(index)\", devices: [android, ios], when: now, body: \"Lorem ipsum dolor sit amet\"}\n"
            index += 1
        }
        let result = TestSupport.parse(text)
        #expect(result.diagnostics.isEmpty)
        #expect(result.documents.first?.root["campaigns"]?.sequence?.count == index)
        // Past the size limit the file is refused with a clear message instead.
        let limited = TestSupport.parse(text, limits: YAMLLimits(maxFileSize: 1_000_000))
        #expect(limited.diagnostics.map(\.code) == ["Y009"])
    }

    @Test(arguments: ["[", "{a: ", "- "])
    func nestingTenThousandLevelsIsReportedNotRecursed(opener: String) throws {
        let text = String(repeating: opener, count: 10_000) + "x"
        let result = TestSupport.parse(text)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code == "Y005")
        #expect(diagnostic.message.contains("200"))
        #expect(result.documents.isEmpty)
    }

    @Test func nestingWithinTheLimitIsAccepted() throws {
        let text = String(repeating: "[", count: 150) + "x" + String(repeating: "]", count: 150)
        let result = TestSupport.parse(text)
        #expect(result.diagnostics.isEmpty)
        var node = try #require(result.documents.first?.root)
        var depth = 0
        while let first = node.sequence?.first {
            node = first
            depth += 1
        }
        #expect(depth == 150)
    }

    @Test func billionLaughsIsCappedAndReportedAtTheAlias() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        let result = TestSupport.parse(text)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.code == "Y006")
        #expect(result.diagnostics.count == 1)
        // Reported at an alias, on one of the lines that use them.
        let line = try #require(diagnostic.location?.line)
        #expect(line > 1)
        let sourceLine = text.split(separator: "\n")[line - 1]
        let column = try #require(diagnostic.location?.column)
        #expect(Array(sourceLine)[column - 1] == "*")
    }

    @Test func arbitraryBytesNeverTrap() {
        // A deterministic sweep of mutations of valid YAML; the fuzzer (`make fuzz`) does this at scale.
        let seed = Array("a: [1, {b: &x c}, *x]\n\"q\": |\n  t\n---\n- <<: {k: v}\n".utf8)
        var generator = SplitMix64(seed: 42)
        for _ in 0..<3_000 {
            var bytes = seed
            for _ in 0..<Int(generator.next() % 6 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = YAMLParser.parse(bytes, file: "mutant.yaml")
        }
    }
}

/// A small deterministic random generator for reproducible test inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
