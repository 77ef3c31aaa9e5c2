import Diagnostics
import Foundation
import JSON
import Testing

@Suite("Diagnostics rendering")
struct DiagnosticRenderingTests {
    let file = "campaigns/spring.yaml"
    var sources: SourceText {
        var text = SourceText()
        text.add(path: file, bytes: Array("name: Spring\n\tcontent: x\nschedule: tomorrow\n".utf8))
        return text
    }
    var diagnostic: Diagnostic {
        .error(
            "C123", "invalid schedule `tomorrow`", at: SourceLocation(file: file, line: 3, column: 11),
            hint: "use `now` or `YYYY-MM-DD HH:MM`",
            related: [RelatedLocation("campaign starts here", at: SourceLocation(file: file, line: 1, column: 1))])
    }

    @Test func textShowsLocationCodeSourceLineAndCaret() {
        let text = DiagnosticRenderer(format: .text, colors: false, sources: sources).render([diagnostic])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "campaigns/spring.yaml:3:11: error[C123]: invalid schedule `tomorrow`")
        #expect(lines[1] == " 3 | schedule: tomorrow")
        #expect(lines[2] == "   |           ^")
        #expect(lines[3] == "  hint: use `now` or `YYYY-MM-DD HH:MM`")
        #expect(lines[4] == "campaigns/spring.yaml:1:1: note: campaign starts here")
        #expect(!text.contains("\u{1B}["))
    }

    @Test func caretKeepsTabsSoItLinesUp() {
        let tabbed = Diagnostic.error("Y003", "tab", at: SourceLocation(file: file, line: 2, column: 2))
        let text = DiagnosticRenderer(format: .text, sources: sources).render([tabbed])
        #expect(text.contains(" 2 | \tcontent: x\n   | \t^\n"))
    }

    @Test func coloursOnlyWhenAsked() {
        let text = DiagnosticRenderer(format: .text, colors: true, sources: sources).render([diagnostic])
        #expect(text.contains("\u{1B}[1;31merror[C123]\u{1B}[0m"))
    }

    @Test func controlCharactersInSourceLinesAreNeutralised() {
        var hostile = SourceText()
        hostile.add(path: "x.yaml", bytes: Array("a: \u{1B}[2Jboom\n".utf8))
        let d = Diagnostic.error("Y001", "bad", at: SourceLocation(file: "x.yaml", line: 1, column: 4))
        let text = DiagnosticRenderer(format: .text, sources: hostile).render([d])
        #expect(!text.contains("\u{1B}"))
        #expect(Quoting.code("a\u{1B}b\nc") == "`a\\u{1B}b\\nc`")
    }

    @Test func githubAnnotationsAreEscaped() {
        let text = DiagnosticRenderer(format: .github).render([diagnostic])
        #expect(text == "::error file=campaigns/spring.yaml,line=3,col=11,title=C123::[C123] invalid schedule `tomorrow`%0Ahint: use `now` or `YYYY-MM-DD HH:MM`%0Anote: campaign starts here (campaigns/spring.yaml:1:1)\n")
        let odd = Diagnostic.warning("W1", "100% done\r\n", at: SourceLocation(file: "a,b:c.yaml", line: 1, column: 1))
        #expect(DiagnosticRenderer(format: .github).render([odd]) == "::warning file=a%2Cb%3Ac.yaml,line=1,col=1,title=W1::[W1] 100%25 done%0D%0A\n")
    }

    @Test func jsonIsAnArrayOfObjects() throws {
        let text = DiagnosticRenderer(format: .json).render([diagnostic])
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]
        let first = try #require(parsed?.first)
        #expect(first["code"] as? String == "C123")
        #expect(first["severity"] as? String == "error")
        #expect(first["line"] as? Int == 3)
        #expect(first["column"] as? Int == 11)
        #expect(first["hint"] as? String == "use `now` or `YYYY-MM-DD HH:MM`")
        #expect((first["related"] as? [[String: Any]])?.first?["line"] as? Int == 1)
        #expect(DiagnosticRenderer(format: .json).render([]) == "[]\n")
    }

    @Test func longLinesAreCutAroundTheColumn() {
        var long = SourceText()
        long.add(path: "l.yaml", bytes: Array(("k: " + String(repeating: "x", count: 500) + "!").utf8))
        let d = Diagnostic.error("Y001", "bang", at: SourceLocation(file: "l.yaml", line: 1, column: 504))
        let lines = DiagnosticRenderer(format: .text, sources: long).render([d]).split(separator: "\n")
        #expect(lines[1].count < 140)
        #expect(lines[1].hasSuffix("x!"))
        // The caret sits under the `!`.
        #expect(lines[2].count == lines[1].count)
    }

    @Test func sortingIsStable() {
        let a = Diagnostic.error("Y1", "a", at: SourceLocation(file: "b.yaml", line: 1, column: 1))
        let b = Diagnostic.error("Y1", "b", at: SourceLocation(file: "a.yaml", line: 9, column: 1))
        let c = Diagnostic.error("F1", "c", at: nil)
        #expect([a, b, c].sortedForOutput().map(\.message) == ["c", "b", "a"])
    }
}

@Suite("JSON writer")
struct JSONWriterTests {
    @Test func keepsMemberOrderAndEscapes() {
        let value: JSONValue = .object([("z", .int(1)), ("a", .string("q\"\\\n\u{01}é")), ("n", .null), ("l", .array([.bool(true), .number("1.5")]))])
        #expect(JSONWriter(indent: nil).string(value) == #"{"z":1,"a":"q\"\\\n\u0001é","n":null,"l":[true,1.5]}"#)
        #expect(JSONWriter(indent: 2).string(.object([("a", .array([]))])) == "{\n  \"a\": []\n}")
    }
}
