import Diagnostics
import Foundation
import Testing
import YAMLFrontEnd

/// Paths and helpers shared by the tests.
enum TestSupport {
    /// `Tests/CampaignTests/Fixtures`.
    static let fixtures: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    /// The repository root.
    static let repositoryRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    static func fixture(_ relative: String) -> String { fixtures + "/" + relative }

    static func bytes(_ path: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Parses a YAML fixture file.
    static func parseFixture(_ relative: String) throws -> YAMLParseResult {
        let path = fixture(relative)
        return YAMLParser.parse(try bytes(path), file: path)
    }

    /// Parses YAML text.
    static func parse(_ text: String, limits: YAMLLimits = YAMLLimits()) -> YAMLParseResult {
        YAMLParser.parse(Array(text.utf8), file: "test.yaml", limits: limits)
    }

    /// The folder holding the built products (the test bundle sits beside `campaign`).
    static let productsFolder: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    /// A product built beside the tests, such as `campaign`.
    static func product(_ name: String) -> String { name.hasPrefix("/") ? name : productsFolder + "/" + name }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a built product (or a program, by absolute path) with `arguments`, waiting at most `timeout` seconds.
    /// `environment` is added to the test process's own, or (`inherit: false`) is the whole environment.
    ///
    /// The child is started with posix_spawn and reaped here with waitpid, its output going to files: nothing depends
    /// on Foundation noticing the child's exit (on a loaded CI machine, children of Foundation's `Process` were seen
    /// left unreaped, and runs timed out).
    static func run(
        _ arguments: [String], product name: String = "campaign", environment: [String: String] = [:],
        currentDirectory: String? = nil, timeout: TimeInterval = 120, inherit: Bool = true
    ) throws -> Run {
        var env = inherit ? ProcessInfo.processInfo.environment : [:]
        env["NO_COLOR"] = nil
        for (key, value) in environment { env[key] = value }
        // The working directory is set by env(1) (`--chdir`): posix_spawn has no portable way to set it.
        let command = (currentDirectory.map { ["/usr/bin/env", "--chdir=" + $0] } ?? []) + [product(name)] + arguments
        let base = NSTemporaryDirectory() + "run-" + UUID().uuidString
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        closeInheritedDescriptors(&actions)
        let argv = command.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var reaped = false
        while !reaped {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { reaped = true; break }
            if result < 0 && errno != EINTR { break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                Issue.record("\(name) \(arguments) did not finish in \(timeout) s")
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                reaped = true
                break
            }
            usleep(2_000)
        }
        // As Foundation's terminationStatus: the exit code, or the signal that ended the child.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
        return Run(
            status: reaped ? code : -1,
            stdout: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: base + ".out"))) ?? Data(), as: UTF8.self),
            stderr: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: base + ".err"))) ?? Data(), as: UTF8.self))
    }

    /// Makes a child spawned with `actions` get nothing of this process but its standard input, output and error.
    /// Otherwise whatever another test has open at that moment stays open in the child: a script it is about to run
    /// ("Text file busy", seen on a loaded run of installersUseTheAssetsMakeDistProduces), or the write end of a pipe
    /// it reads to the end — a daemon (a PostgreSQL server) holding it made that read wait forever (seen in
    /// SchemaTests). (glibc 2.34+; not in Swift's Glibc module, so found at run time.)
    static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let closeFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        }
    }

    /// `run` on a Dispatch thread, for async tests: blocking the (small) cooperative pool would starve an in-process
    /// sandbox that the child process is talking to.
    static func runAsync(
        _ arguments: [String], product name: String = "campaign", environment: [String: String] = [:],
        currentDirectory: String? = nil, timeout: TimeInterval = 120
    ) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            detached {
                continuation.resume(with: Result {
                    try run(arguments, product: name, environment: environment, currentDirectory: currentDirectory, timeout: timeout)
                })
            }
        }
    }

    /// Runs `work` on a Dispatch thread: long CPU-bound test work must not hold one of the (two, here) threads of
    /// the cooperative pool that in-process sandboxes of other tests answer on.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            detached { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `work` on a thread of its own. Blocking test work (waiting for a child process, reading its pipes)
    /// must hold neither the cooperative pool's threads nor Dispatch's global ones: Foundation notices a child's exit
    /// on a Dispatch thread, and with both cores' worth of global threads blocked (tests run in parallel), children
    /// were left unreaped and runs timed out.
    static func detached(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread { work() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "campaign-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}

extension YAMLNode {
    /// `line:column` of the node, for compact assertions.
    var position: String { "\(location.line):\(location.column)" }
}
