import Foundation
import YAMLFrontEnd

/// libFuzzer entry point: the YAML front end must never trap, whatever the bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAMLFrontEnd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let result = YAMLParser.parse(bytes, file: "fuzz.yaml", limits: YAMLLimits(maxDepth: 200, maxAliasExpansion: 10_000))
    // Touch the result so the work is not optimised away.
    if result.documents.count > Int.max - 1 { print(result.diagnostics.count) }
    return 0
}

#if !FUZZING
/// Without libFuzzer (`-DFUZZING` unset) this target replays files named on the command line, for reproducing
/// a crash that `make fuzz` found.
@main
enum FuzzReplay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else { continue }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            fclose(file)
            _ = bytes.withUnsafeBufferPointer { fuzzYAMLFrontEnd($0.baseAddress, $0.count) }
            print("replayed \(path)")
        }
    }
}
#endif
