#if canImport(Glibc)
import Glibc
#endif
import CampaignDeploy
import CampaignEngine
import Foundation
import Logging
import PostgresState
import Synchronization
import Testing

/// A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder, `pg_ctl start` on a free loopback
/// port, password authentication over TCP (scram-sha-256), removed when the test process ends. Run as the
/// `postgres` user (or `nobody`) when the tests run as root, since the server refuses to run as root.
final class PostgresTestServer: Sendable {
    let folder: String
    let port: Int
    let password: String
    let user = "postgres"
    private let owner: String?

    /// The cluster most tests share (each uses its own schema: a fresh state), started by the first test that asks.
    static var shared: PostgresTestServer {
        get async throws { try await sharedStart.value }
    }

    private static let sharedStart = Task<PostgresTestServer, any Error> { try await startAsync() }

    /// Starts a new cluster, off the cooperative pool (the programs run and are waited for on a Dispatch thread).
    static func startAsync() async throws -> PostgresTestServer { try await TestSupport.offThePool { try start() } }

    private static let started = Mutex<[PostgresTestServer]>([])
    private static let counter = Atomic<Int>(0)

    private init(folder: String, port: Int, password: String, owner: String?) {
        self.folder = folder
        self.port = port
        self.password = password
        self.owner = owner
    }

    /// The folder of PostgreSQL's server programs (Debian's layout, newest version first; else `pg_config`).
    static let binFolder: String? = {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(base)/\(version)/bin/initdb") {
            return "\(base)/\(version)/bin"
        }
        for folder in ["/usr/bin", "/usr/local/bin", "/usr/local/pgsql/bin"] where FileManager.default.isExecutableFile(atPath: folder + "/initdb") {
            return folder
        }
        return nil
    }()

    /// Starts a new cluster.
    static func start() throws -> PostgresTestServer {
        guard let bin = binFolder else {
            throw TestFailure("PostgreSQL's server programs (initdb, pg_ctl) are not installed: run `make setup`")
        }
        let folder = try TestSupport.temporaryFolder() + "/pg"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let owner: String? = getuid() == 0 ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        let password = "pg-test-" + UUID().uuidString.lowercased().prefix(12)
        try password.write(toFile: folder + "/pwfile", atomically: true, encoding: .utf8)
        if let owner {
            _ = try shell(["chown", "-R", owner, folder])
            _ = try shell(["chmod", "755", (folder as NSString).deletingLastPathComponent])
        }
        try check(try shell(as: owner, [
            bin + "/initdb", "-D", folder + "/data", "-U", "postgres", "--pwfile=" + folder + "/pwfile",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync",
        ]), "initdb")
        // A free port: bound and released, then taken by the server (retried if someone else took it meanwhile).
        for _ in 0..<5 {
            let port = try freePort()
            let server = PostgresTestServer(folder: folder, port: port, password: password, owner: owner)
            if (try? server.startServer()) != nil {
                started.withLock { $0.append(server) }
                if started.withLock({ $0.count }) == 1 { atexit { PostgresTestServer.stopAll() } }
                return server
            }
        }
        throw TestFailure("the test PostgreSQL did not start; see \(folder)/log")
    }

    /// `pg_ctl start` again, after ``stop()``.
    func restart() async throws { try await TestSupport.offThePool { try self.startServer() } }

    /// Stops the server at once (`-m immediate`), off the cooperative pool.
    func halt() async throws { try await TestSupport.offThePool { try self.stop() } }

    /// Runs SQL through `psql`, off the cooperative pool.
    func query(_ statement: String) async throws -> String { try await TestSupport.offThePool { try self.sql(statement) } }

    /// `pg_ctl start`.
    func startServer() throws {
        guard let bin = Self.binFolder else { return }
        try Self.check(try Self.shell(as: owner, [
            bin + "/pg_ctl", "-D", folder + "/data", "-l", folder + "/log", "-w", "-t", "60", "start",
            "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
        ]), "pg_ctl start")
    }

    /// Stops the server at once (`-m immediate`: connections are cut, like a crash of the database host).
    func stop() throws {
        guard let bin = Self.binFolder else { return }
        try Self.check(try Self.shell(as: owner, [bin + "/pg_ctl", "-D", folder + "/data", "-m", "immediate", "-w", "stop"]), "pg_ctl stop")
    }

    private static func stopAll() {
        for server in started.withLock({ $0 }) {
            _ = try? server.stop()
            try? FileManager.default.removeItem(atPath: (server.folder as NSString).deletingLastPathComponent)
        }
    }

    /// A URL for a fresh state: a schema of its own.
    func url(schema: String? = nil) -> String {
        let name = schema ?? "t\(getpid())_\(Self.counter.add(1, ordering: .relaxed).newValue)"
        return "postgres://\(user)@127.0.0.1:\(port)/postgres?sslmode=disable&schema=\(name)"
    }

    /// The environment a client needs besides the URL.
    var environment: [String: String] { ["PGPASSWORD": password] }

    /// Reads the state at `url` (the default workspace unless named) as the tool does.
    func state(_ url: String, workspace: String = "default") async throws -> EngineState? {
        let connector = PostgresConnector(url: try PostgresURL(url), fromRunner: true, environment: environment, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        return try await PostgresStateBackend(connector: connector, workspace: workspace).read()
    }

    /// Runs SQL through `psql` as the superuser.
    func sql(_ statement: String) throws -> String {
        guard let bin = Self.binFolder else { return "" }
        let psql = FileManager.default.isExecutableFile(atPath: bin + "/psql") ? bin + "/psql" : "psql"
        let result = try Self.shell([psql, "-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", "postgres", "-c", statement],
                                    environment: environment)
        try Self.check(result, "psql")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Processes

    struct Result {
        var status: Int32
        var output: String
    }

    static func check(_ result: Result, _ what: String) throws {
        guard result.status == 0 else { throw TestFailure("\(what) failed (\(result.status)): \(result.output.suffix(2000))") }
    }

    /// Runs a program (as `user`, through `runuser`, when given) and waits for it; its output and error together,
    /// through a file (a server it starts may keep a pipe open for ever). posix_spawn and waitpid directly: the
    /// test process may have many threads, and only this thread waits for this child.
    static func shell(as user: String? = nil, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let command = user.map { ["/usr/sbin/runuser", "-u", $0, "--"] + arguments } ?? arguments
        let outputPath = NSTemporaryDirectory() + "pg-shell-" + UUID().uuidString
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The server daemonizes: whatever it inherited it keeps for the rest of the run.
        TestSupport.closeInheritedDescriptors(&actions)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = command.map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: output)
    }

    /// A loopback port bound by the returned socket but not listening (connections to it are refused) for as long
    /// as the socket is open.
    static func heldClosedPort() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard bound == 0, named == 0 else {
            close(fd)
            throw TestFailure("bind() failed")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A loopback port free a moment ago (bound, then released for the server to take).
    static func freePort() throws -> Int {
        let (fd, port) = try heldClosedPort()
        close(fd)
        return port
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
