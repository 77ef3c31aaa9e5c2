import CampaignDeploy
import CampaignEngine
@testable import CampaignCommands
import Foundation
import JSON
import Testing

/// The PostgreSQL state backend against a real server the tests start (see ``PostgresTestServer``). The plan/apply
/// rules, failpoints and concurrent runners are checked on both backends in `PlanApplyTests`; these are the
/// database's own cases.
@Suite("PostgreSQL state", .serialized)
struct PostgresStateTests {
    /// The schema a harness's URL names.
    static func schema(_ h: DeployHarness) -> String {
        String(h.stateURL.split(separator: "schema=").last ?? "")
    }

    /// Waits until the sandbox has recorded `count` creates (or `seconds` pass).
    static func waitForCreates(_ h: DeployHarness, _ count: Int, seconds: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while await h.ledger("/1/targets/create.json").count < count, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test func theSchemaIsCreatedVersionedAndInitIsIdempotent() async throws {
        let h = try await DeployHarness.start(state: .postgres)
        let server = try await PostgresTestServer.shared
        let schema = Self.schema(h)
        let first = try await h.campaign(["state", "init", "--project", "campaigns"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("Created the state postgres://postgres@127.0.0.1:\(server.port)/postgres?schema=\(schema) (workspace default)"))
        #expect(try await server.query("SELECT max(version) FROM \(schema).schema_version") == "1")
        #expect(try await server.query("SELECT name || ':' || serial FROM \(schema).workspaces") == "default:1")
        // The large columns are compressed with lz4 (the test server, like Debian's, is built with it).
        #expect(try await server.query("""
            SELECT string_agg(attname || '=' || attcompression::text, ',' ORDER BY attname) FROM pg_attribute
            WHERE attrelid IN ('\(schema).records'::regclass, '\(schema).deliveries'::regclass) AND attname IN ('body', 'members')
            """) == "body=l,members=l")
        // Tables made before lz4 was part of the schema get it from `state init`.
        _ = try await server.query("ALTER TABLE \(schema).records ALTER COLUMN body SET COMPRESSION pglz")
        _ = try await server.query("ALTER TABLE \(schema).deliveries ALTER COLUMN members SET COMPRESSION pglz")
        let again = try await h.campaign(["state", "init", "--project", "campaigns"])
        #expect(again.status == 0)
        #expect(try await server.query("""
            SELECT string_agg(attname || '=' || attcompression::text, ',' ORDER BY attname) FROM pg_attribute
            WHERE attrelid IN ('\(schema).records'::regclass, '\(schema).deliveries'::regclass) AND attname IN ('body', 'members')
            """) == "body=l,members=l")
        #expect(again.stdout.contains("exists (lineage"))
        // Records are rows, one per key; a send's batches are rows of their own.
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: (1...2500).map { "u\($0)" }))
        let applied = try await h.apply()
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(try await server.query("SELECT count(*) FROM \(schema).records") == "2")
        #expect(try await server.query("SELECT count(*) FROM \(schema).deliveries WHERE key = 'vip'") == "3")
        #expect(try await h.record("vip")?["delivered"]?["identity"]?.arrayValue?.count == 2500)
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        // Damaged account fingerprints would switch the account check off: refused.
        let accounts = try await server.query("SELECT accounts FROM \(schema).workspaces")
        _ = try await server.query("UPDATE \(schema).workspaces SET accounts = 'not json'")
        let damaged = try await h.plan()
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("error[S003]") && damaged.stderr.contains("damaged"), "\(damaged.stderr)")
        _ = try await server.query("UPDATE \(schema).workspaces SET accounts = '\(accounts)'")
        #expect(try await h.plan(["--detailed-exitcode"]).status == 0)
        // A database migrated by a newer release is refused, not misread.
        _ = try await server.query("INSERT INTO \(schema).schema_version (version) VALUES (99)")
        let newer = try await h.plan()
        #expect(newer.status == 1)
        #expect(newer.stderr.contains("error[S066]"), "\(newer.stderr)")
        await h.stop()
    }

    @Test func aWrongPasswordIsClearAndNeverShown() async throws {
        let h = try await DeployHarness.start(state: .postgres)
        try h.write("a.yaml", DeployHarness.segment("A"))
        let secret = "wrong-pw-\(UUID().uuidString.prefix(8))"
        for command in [["plan", "campaigns"], ["apply", "campaigns", "--auto-approve", "--init-state"], ["state", "list", "--project", "campaigns"], ["plan", "campaigns", "--verbose", "--format", "json"]] {
            let run = try await h.campaign(command, environment: ["PGPASSWORD": secret])
            #expect(run.status == 1, "\(command)")
            #expect(run.stderr.contains("S062"), "\(command): \(run.stderr)")
            #expect(run.stderr.contains("password authentication failed"), "\(run.stderr)")
            #expect(!(run.stdout + run.stderr).contains(secret))
        }
        // A password in the URL is refused before anything connects, and not repeated.
        let inURL = h.stateURL.replacingOccurrences(of: "postgres@", with: "postgres:\(secret)@")
        let refused = try await h.campaign(["plan", "campaigns"], environment: ["CAMPAIGN_STATE": inURL])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("error[S061]"))
        #expect(!(refused.stdout + refused.stderr).contains(secret))
        let query = try await h.campaign(["plan", "campaigns", "--state", h.stateURL + "&password=" + secret])
        #expect(query.stderr.contains("error[S061]"))
        #expect(!(query.stdout + query.stderr).contains(secret))
        #expect(await h.ledger("/1/targets/create.json").isEmpty)
        // TLS when sslmode asks for it: this server offers none, so `require` is refused rather than sent in clear.
        let tls = try await h.campaign(["plan", "campaigns"], environment: ["CAMPAIGN_STATE": h.stateURL.replacingOccurrences(of: "sslmode=disable", with: "sslmode=require")])
        #expect(tls.status == 1)
        #expect(tls.stderr.contains("S062") && tls.stderr.contains("TLS"), "\(tls.stderr)")
        // From a password file (owner-only), when PGPASSWORD is not set.
        let file = h.root + "/pgpass"
        try "127.0.0.1:*:postgres:postgres:\(try await PostgresTestServer.shared.password)\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        var environment = h.environment
        environment["PGPASSWORD"] = nil
        environment["PGPASSFILE"] = file
        let readable = try await TestSupport.runAsync(["plan", "campaigns"], environment: environment, currentDirectory: h.root)
        #expect(readable.stderr.contains("error[S063]"), "\(readable.stderr)")
        chmod(file, 0o600)
        // Written on Windows: CRLF line ends.
        try "# state\r\n127.0.0.1:*:postgres:postgres:\(try await PostgresTestServer.shared.password)\r\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let fromFile = try await TestSupport.runAsync(["plan", "campaigns"], environment: environment, currentDirectory: h.root)
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        await h.stop()
    }

    @Test func theDatabaseStoppedMidApplyStopsTheRunAndARerunIsConsistent() async throws {
        // A cluster of its own: stopping the shared one would break the other tests.
        let server = try await PostgresTestServer.startAsync()
        var h = try await DeployHarness.start(state: .postgres) { $0.targetsLatency = 0.8 }
        h.environment["CAMPAIGN_STATE"] = server.url()
        h.environment.merge(server.environment) { $1 }
        for name in ["a", "b", "c", "d", "e", "f"] { try h.write("\(name).yaml", DeployHarness.segment(name.uppercased())) }
        let env = h.environment
        let root = h.root
        async let run = TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state", "--color", "never"], environment: env, currentDirectory: root)
        try await Self.waitForCreates(h, 2)
        try await server.halt()
        let stopped = try await run
        #expect(stopped.status == 1, "\(stopped.stdout)\(stopped.stderr)")
        #expect(stopped.stderr.contains("error[A001]") && stopped.stderr.contains("S062"), "\(stopped.stderr)")
        #expect(stopped.stdout.contains("Apply stopped"), "\(stopped.stdout)")
        let createdWhileUp = await h.ledger("/1/targets/create.json").count
        #expect(createdWhileUp >= 2 && createdWhileUp < 6)
        try await server.restart()
        // The key in flight is unknown (its intent was committed, its answer was not); nothing else was touched.
        let state = try #require(try await server.state(h.environment["CAMPAIGN_STATE"] ?? ""))
        let unknown = state.campaigns.filter { $0.value.intent != nil }
        #expect(unknown.count <= 1)
        #expect(state.campaigns.count <= createdWhileUp)
        let reconciled = try await h.campaign(["reconcile", "campaigns"], environment: env)
        #expect(reconciled.status == 0, "\(reconciled.stdout)\(reconciled.stderr)")
        let rerun = try await h.campaign(["apply", "campaigns", "--auto-approve"], environment: env)
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        let names = await h.ledger("/1/targets/create.json").compactMap { $0["body"]?["name"]?.stringValue }
        #expect(names.sorted() == ["A", "B", "C", "D", "E", "F"], "each created exactly once: \(names)")
        #expect(try await h.campaign(["plan", "campaigns", "--detailed-exitcode"], environment: env).status == 0)
        await h.stop()
    }

    @Test func aWriterWhoseSerialWasMovedStopsBeforeWritingAgain() async throws {
        // As if the lock had been broken by hand and another runner had written: the fence stops this run.
        let h = try await DeployHarness.start(state: .postgres) { $0.targetsLatency = 0.8 }
        let server = try await PostgresTestServer.shared
        let schema = Self.schema(h)
        for name in ["a", "b", "c", "d", "e"] { try h.write("\(name).yaml", DeployHarness.segment(name.uppercased())) }
        let env = h.environment
        let root = h.root
        async let run = TestSupport.runAsync(["apply", "campaigns", "--auto-approve", "--init-state"], environment: env, currentDirectory: root)
        try await Self.waitForCreates(h, 1)
        _ = try await server.query("UPDATE \(schema).workspaces SET serial = serial + 100")
        let fenced = try await run
        #expect(fenced.status == 1)
        #expect(fenced.stderr.contains("S014") && fenced.stderr.contains("was changed by another runner"), "\(fenced.stderr)")
        // At most the create in flight went out after the serial moved; the rest were never sent.
        #expect(await h.ledger("/1/targets/create.json").count <= 2)
        await h.stop()
    }

    @Test func pushAndPullCopyAStateBothWaysAndRefuseAnotherLineage() async throws {
        let h = try await DeployHarness.start()  // a file state first
        let server = try await PostgresTestServer.shared
        try h.write("a.yaml", DeployHarness.segment("A"))
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: (1...1500).map { "u\($0)" }))
        #expect(try await h.apply().status == 0)
        let url = server.url()
        let database = h.environment.merging(server.environment) { $1 }
        let pushed = try await h.campaign(["state", "push", url, "--project", "campaigns"], environment: database)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(pushed.stdout.contains("2 records"))
        let fileState = try await h.state()
        let copied = try #require(try await server.state(url))
        #expect(JSONWriter(indent: nil).string(copied.json["campaigns"] ?? .null) == JSONWriter(indent: nil).string(fileState["campaigns"] ?? .null))
        #expect(copied.lineage == fileState["lineage"]?.stringValue)
        // Planned against the database: nothing to do.
        let planned = try await h.campaign(["plan", "campaigns", "--detailed-exitcode"], environment: database.merging(["CAMPAIGN_STATE": url]) { $1 })
        #expect(planned.status == 0, "\(planned.stdout)\(planned.stderr)")
        let listed = try await h.campaign(["state", "list", "--project", "campaigns", "--state", url], environment: database)
        #expect(listed.stdout.contains("vip") && listed.stdout.contains("1500"), "\(listed.stdout)")
        // Pulled back into a new file: the same records.
        let pulled = try await h.campaign(["state", "pull", h.root + "/pulled.json", "--project", "campaigns", "--state", url], environment: database)
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let back = try JSONParser().parse(String(contentsOfFile: h.root + "/pulled.json", encoding: .utf8))
        #expect(JSONWriter(indent: nil).string(back["campaigns"] ?? .null) == JSONWriter(indent: nil).string(fileState["campaigns"] ?? .null))
        // Copies of one lineage change apart: the file (pulled, so its serial is above the database's) must not be
        // pushed over a send the database delivered since.
        let sibling = h.root + "/sibling.json"
        #expect(try await h.campaign(["state", "pull", sibling, "--project", "campaigns", "--state", url], environment: database).status == 0)
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: (1...1600).map { "u\($0)" }))
        let more = try await h.campaign(["apply", "campaigns", "--auto-approve"], environment: database.merging(["CAMPAIGN_STATE": url]) { $1 })
        #expect(more.status == 0, "\(more.stdout)\(more.stderr)")
        #expect(try await h.campaign(["state", "forget", "a", "--project", "campaigns", "--state", sibling]).status == 0)
        let losing = try await h.campaign(["state", "push", url, "--project", "campaigns", "--state", sibling], environment: database)
        #expect(losing.status == 1)
        #expect(losing.stderr.contains("error[S069]"), "\(losing.stdout)\(losing.stderr)")
        #expect(try await server.state(url)?.campaigns["vip"]?.deliveredCount == 1600)
        // Another state is never overwritten by accident.
        let other = try await DeployHarness.start()
        try other.write("z.yaml", DeployHarness.segment("Z"))
        #expect(try await other.apply().status == 0)
        let otherDatabase = server.environment
        let clash = try await other.campaign(["state", "push", url, "--project", "campaigns"], environment: otherDatabase)
        #expect(clash.status == 1)
        #expect(clash.stderr.contains("error[S069]") && clash.stderr.contains("holds another state"), "\(clash.stderr)")
        #expect(try await server.state(url)?.campaigns.count == 2)
        let forced = try await other.campaign(["state", "push", url, "--project", "campaigns", "--force"], environment: otherDatabase)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try await server.state(url)?.campaigns.keys.sorted() == ["z"])
        await other.stop()
        await h.stop()
    }

    @Test func aStateURLFromTheRepositoryGetsThePasswordOnlyForHostsTheRunnerLists() async throws {
        var h = try await DeployHarness.start()
        let server = try await PostgresTestServer.shared
        let url = server.url()
        try "timezone: UTC\nenvironments:\n  prod: {account_id_env: CLEVERTAP_ACCOUNT_ID, passcode_env: CLEVERTAP_PASSCODE, state: \"\(url)\"}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        h.environment["CAMPAIGN_STATE"] = ""
        h.environment.merge(server.environment) { $1 }
        try h.write("a.yaml", DeployHarness.segment("A"))
        let refused = try await h.campaign(["plan", "campaigns", "--env", "prod"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("error[S064]"), "\(refused.stderr)")
        // A remote host the runner lists still gets the password only over verified TLS (refused before connecting).
        try "timezone: UTC\nenvironments:\n  remote: {account_id_env: CLEVERTAP_ACCOUNT_ID, passcode_env: CLEVERTAP_PASSCODE, state: \"postgres://deploy@db.example:5432/x?sslmode=require\"}\n  prod: {account_id_env: CLEVERTAP_ACCOUNT_ID, passcode_env: CLEVERTAP_PASSCODE, state: \"\(url)\"}\n"
            .write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        let unverified = try await h.campaign(["plan", "campaigns", "--env", "remote"], environment: ["CAMPAIGN_STATE_HOSTS": "db.example"])
        #expect(unverified.status == 1)
        #expect(unverified.stderr.contains("error[S064]") && unverified.stderr.contains("verify-full"), "\(unverified.stderr)")
        let allowed = ["CAMPAIGN_STATE_HOSTS": "db.example, 127.0.0.1"]
        let applied = try await h.campaign(["apply", "campaigns", "--env", "prod", "--auto-approve", "--init-state"], environment: allowed)
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        // One workspace per environment: `prod` holds the record, `default` does not exist.
        #expect(try await server.state(url, workspace: "prod")?.campaigns.keys.sorted() == ["a"])
        #expect(try await server.state(url, workspace: "default") == nil)
        await h.stop()
    }
}

/// What `state push`/`pull` would lose, whatever the serials say (two copies of one lineage change apart).
@Suite("State copies")
struct StateCopyTests {
    static func record(_ key: String, delivered: Int, updated: String) -> StateRecord {
        var record = StateRecord(provider: "clevertap", kind: "send", name: key, file: key + ".yaml", hash: "h", status: .sent, at: "2026-01-01T00:00:00Z")
        record.delivered = ["identity": (0..<delivered).map { "u\($0)" }]
        record.updatedAt = updated
        return record
    }

    @Test func aCopyMayNotDropOrRollBackWhatOnlyTheDestinationHas() {
        var destination = EngineState(lineage: "l")
        destination.campaigns = ["same": Self.record("same", delivered: 2, updated: "t1"), "more": Self.record("more", delivered: 5, updated: "t2"),
                                 "gone": Self.record("gone", delivered: 1, updated: "t1"), "later": Self.record("later", delivered: 1, updated: "t9")]
        var source = EngineState(lineage: "l")
        source.campaigns = ["same": Self.record("same", delivered: 2, updated: "t1"), "more": Self.record("more", delivered: 3, updated: "t3"),
                            "later": Self.record("later", delivered: 1, updated: "t2"), "new": Self.record("new", delivered: 1, updated: "t1")]
        #expect(StateCopy.lost(from: destination, keeping: source) == ["gone", "later", "more"])
        #expect(StateCopy.lost(from: source, keeping: source).isEmpty)
    }

    @Test func anIPv6HostIsTheAddressWithoutItsBrackets() throws {
        let url = try PostgresURL("postgres://deploy@[::1]:5433/db?sslmode=disable", environment: [:])
        #expect(url.host == "::1")
        #expect(url.shown == "postgres://deploy@[::1]:5433/db?schema=campaign_state")
        #expect(throws: DeployError.self) { try PostgresURL("postgres://de%0Aploy@db.example/db", environment: [:]) }
    }
}
