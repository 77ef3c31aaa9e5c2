import Foundation
import YAMLFrontEnd

/// The fuzz target: the YAML front end must never trap, hang or exhaust memory, whatever the bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAMLFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let result = YAMLParser.parse(bytes, file: "fuzz.yaml", limits: YAMLLimits(maxDepth: 200, maxAliasExpansion: 10_000))
    // Touch the result so the work is not optimised away.
    if result.documents.count == Int.max { print(result.diagnostics.count) }
    return 0
}

#if FUZZING
/// libFuzzer's driver, linked in by `-sanitize=fuzzer`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif

/// `make fuzz` builds this with `-sanitize=fuzzer -DFUZZING` and it runs libFuzzer; a plain build replays the
/// files named on the command line through the same entry point, to reproduce what the fuzzer found.
@main
enum FuzzMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { fuzzYAMLFrontEnd($0, $1) }))
        #else
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                continue
            }
            let bytes = [UInt8](data)
            _ = bytes.withUnsafeBufferPointer { fuzzYAMLFrontEnd($0.baseAddress, $0.count) }
            print("replayed \(path): no trap")
        }
        #endif
    }
}
