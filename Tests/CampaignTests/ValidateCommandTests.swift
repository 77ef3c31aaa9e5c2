import Foundation
import Testing

@Suite("campaign validate (the built binary)")
struct ValidateCommandTests {
    @Test func cleanFilesExitZero() async throws {
        let run = try await TestSupport.runAsync(["validate", TestSupport.repositoryRoot + "/campaigns"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("validated 23 campaigns in 22 files: 0 errors, 0 warnings"))
    }

    @Test func foldersAreSearchedRecursivelySkippingHiddenEntries() async throws {
        let run = try await TestSupport.runAsync(["validate", TestSupport.fixture("tree")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("validated 2 campaigns in 2 files"))
        #expect(!run.stderr.contains("broken"))
    }

    @Test func everyErrorOfEveryFileIsReported() async throws {
        let run = try await TestSupport.runAsync(["validate", "--color", "never", TestSupport.fixture("yaml")])
        #expect(run.status == 1)
        for code in ["Y001", "Y002", "Y003", "Y004", "Y007", "Y008"] {
            #expect(run.stderr.contains("error[\(code)]"), "missing \(code)")
        }
        #expect(run.stderr.contains("duplicate-keys.yaml:5:3: error[Y002]: duplicate key `title`"))
        #expect(run.stderr.contains(" 5 |   title: Again\n   |   ^\n"))
        #expect(!run.stderr.contains("\u{1B}["))
    }

    @Test func formatsForCI() async throws {
        let file = TestSupport.fixture("yaml/duplicate-keys.yaml")
        let github = try await TestSupport.runAsync(["validate", "--format", "github", file])
        #expect(github.status == 1)
        #expect(github.stderr.contains("::error file=\(file),line=5,col=3,title=Y002::"))
        let json = try await TestSupport.runAsync(["validate", "--format", "json", file])
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stderr.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 2)
        #expect(parsed?.first?["code"] as? String == "Y002")
    }

    @Test func usageErrorsExitTwo() async throws {
        #expect(try await TestSupport.runAsync(["validate"]).status == 2)
        #expect(try await TestSupport.runAsync(["validate", "--format", "xml", "x.yaml"]).status == 2)
        #expect(try await TestSupport.runAsync(["frobnicate"]).status == 2)
    }

    @Test func missingPathsAreErrors() async throws {
        let run = try await TestSupport.runAsync(["validate", "/nonexistent/campaigns.yaml"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[F001]: no such file or directory"))
    }

    @Test func specialFilesAreRefusedNotRead() async throws {
        let run = try await TestSupport.runAsync(["validate", "/dev/zero"], timeout: 20)
        #expect(run.status == 1)
        #expect(run.stderr.contains("error[F002]"))
    }

    @Test func helpAndVersion() async throws {
        let help = try await TestSupport.runAsync(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("validate"))
        let sub = try await TestSupport.runAsync(["validate", "--help"])
        #expect(sub.status == 0)
        #expect(sub.stdout.contains("--format"))
        let version = try await TestSupport.runAsync(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test func warningsAsErrors() async throws {
        let file = TestSupport.fixture("warnings/duplicate-recipient.yaml")
        let lenient = try await TestSupport.runAsync(["validate", file])
        #expect(lenient.status == 0)
        #expect(lenient.stderr.contains("warning[C031]"))
        let strict = try await TestSupport.runAsync(["validate", "--warnings-as-errors", file])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("error[C031]"))
    }
}
