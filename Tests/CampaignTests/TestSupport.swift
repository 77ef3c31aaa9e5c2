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
    static func run(
        _ arguments: [String], product name: String = "campaign", environment: [String: String] = [:],
        currentDirectory: String? = nil, timeout: TimeInterval = 120, inherit: Bool = true
    ) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: product(name))
        process.arguments = arguments
        var env = inherit ? ProcessInfo.processInfo.environment : [:]
        env["NO_COLOR"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let outData = LockedData()
        let errData = LockedData()
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                sink.set(pipe.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                Issue.record("\(name) \(arguments) did not finish in \(timeout) s")
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        group.wait()
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: outData.get(), as: UTF8.self),
            stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// `run` on a Dispatch thread, for async tests: blocking the (small) cooperative pool would starve an in-process
    /// sandbox that the child process is talking to.
    static func runAsync(
        _ arguments: [String], product name: String = "campaign", environment: [String: String] = [:],
        currentDirectory: String? = nil, timeout: TimeInterval = 120
    ) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
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
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
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
