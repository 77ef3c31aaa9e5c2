import Foundation
import Testing

@Suite("campaign validate (the built binary)")
struct ValidateCommandTests {
    @Test func cleanFilesExitZero() throws {
        let run = try TestSupport.run(["validate", TestSupport.repositoryRoot + "/campaigns"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("validated 9 campaigns in 8 files: 0 errors, 0 warnings"))
    }

    @Test func foldersAreSearchedRecursivelySkippingHiddenEntries() throws {
        let run = try TestSupport.run(["validate", TestSupport.fixture("tree")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("validated 2 campaigns in 2 files"))
        #expect(!run.stderr.contains("broken"))
    }

    @Test func everyErrorOfEveryFileIsReported() throws {
        let run = try TestSupport.run(["validate", "--color", "never", TestSupport.fixture("yaml")])
        #expect(run.status == 1)
        for code in ["Y001", "Y002", "Y003", "Y004", "Y007", "Y008"] {
            #expect(run.stderr.contains("error[\(code)]"), "missing \(code)")
        }
        #expect(run.stderr.contains("duplicate-keys.yaml:5:3: error[Y002]: duplicate key `title`"))
        #expect(run.stderr.contains(" 5 |   title: Again\n   |   ^\n"))
        #expect(!run.stderr.contains("\u{1B}["))
    }

    @Test func formatsForCI() throws {
        let file = TestSupport.fixture("yaml/duplicate-keys.yaml")
        let github = try TestSupport.run(["validate", "--format", "github", file])
        #expect(github.status == 1)
        #expect(github.stderr.contains("::error file=\(file),line=5,col=3,title=Y002::"))
        let json = try TestSupport.run(["validate", "--format", "json", file])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stderr.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 2)
        #expect(parsed?.first?["code"] as? String == "Y002")
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try TestSupport.run(["validate"]).status == 2)
        #expect(try TestSupport.run(["validate", "--format", "xml", "x.yaml"]).status == 2)
        #expect(try TestSupport.run(["frobnicate"]).status == 2)
    }

    @Test func missingPathsAreErrors() throws {
        let run = try TestSupport.run(["validate", "/nonexistent/campaigns.yaml"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[F001]: no such file or directory"))
    }

    @Test func specialFilesAreRefusedNotRead() throws {
        let run = try TestSupport.run(["validate", "/dev/zero"], timeout: 20)
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[F002]"))
    }

    @Test func helpAndVersion() throws {
        let help = try TestSupport.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("validate"))
        let sub = try TestSupport.run(["validate", "--help"])
        #expect(sub.status == 0)
        #expect(sub.stdout.contains("--format"))
        let version = try TestSupport.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test func warningsAsErrors() throws {
        let file = TestSupport.fixture("warnings/duplicate-recipient.yaml")
        let lenient = try TestSupport.run(["validate", file])
        #expect(lenient.status == 0)
        #expect(lenient.stderr.contains("warning[C031]"))
        let strict = try TestSupport.run(["validate", "--warnings-as-errors", file])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("error[C031]"))
    }
}
