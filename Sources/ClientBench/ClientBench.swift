import CampaignModel
import CleverTapClient
import CleverTapCompiler
import Foundation
import JSON

/// `make bench` helper: drives the real client against a running `campaign-sandbox` and prints one JSON line per
/// measurement. Usage: campaign-client-bench BASE_URL creates N | sends RECIPIENTS | sends-sequential RECIPIENTS
@main
enum ClientBench {
    static func main() async {
        let arguments = CommandLine.arguments
        guard arguments.count == 4, let count = Int(arguments[3]), count > 0 else {
            FileHandle.standardError.write(Data("usage: campaign-client-bench BASE_URL creates N | sends RECIPIENTS | sends-sequential RECIPIENTS\n".utf8))
            exit(2)
        }
        let configuration = CleverTapConfiguration(
            baseURL: arguments[1], credentials: CleverTapCredentials(accountID: "SANDBOX-ACCOUNT", passcode: "sandbox-passcode"))
        let client = CleverTapClient(configuration: configuration)
        let setupStart = ContinuousClock.now
        // Requests/s is measured from the first request to the last answer: building the recipients and compiling
        // the requests (setup, reported on its own) is not the client's sending.
        var start = setupStart
        var failures = 0
        var requests = 0
        switch arguments[2] {
        case "creates":
            for index in 0..<count {
                let body = JSONValue.object([
                    ("name", .string("Bench \(index)")), ("where", .object([])),
                    ("content", .object([("title", .string("T")), ("body", .string("B"))])),
                    ("devices", .array([.string("ios")])), ("when", .string("now")),
                ])
                do { _ = try await client.createCampaign(body) } catch { failures += 1 }
                requests += 1
            }
        case "sends", "sends-sequential":
            var recipients = Recipients()
            recipients[.identity] = (0..<count).map { "user-\($0)" }
            let campaign = Campaign(
                key: "bench/identity", name: "Bench send",
                delivery: .identity(IdentityDelivery(channel: .push, recipients: recipients)),
                content: .push(title: "Hello", body: "A benchmark push"),
                platformSpecific: PlatformSpecific(platforms: [(.android, [("wzrk_cid", .string("general"))])]),
                options: Options(), origin: Origin(file: "bench", document: .init(file: "bench", line: 1, column: 1), key: .init(file: "bench", line: 1, column: 1), name: .init(file: "bench", line: 1, column: 1)))
            let compiled = CleverTapCompiler.compile(campaign)
            requests = compiled.count
            start = ContinuousClock.now
            if arguments[2] == "sends-sequential" {
                // One request at a time, as `campaign apply` sends a batch (but with no state written in between):
                // the baseline that tells the journal's share of apply's time from the round trips'.
                for request in compiled {
                    do { try await client.send(path: request.path, body: request.body) } catch { failures += 1 }
                }
                break
            }
            failures = await withTaskGroup(of: Int.self) { group in
                for request in compiled {
                    group.addTask {
                        do {
                            try await client.send(path: request.path, body: request.body)
                            return 0
                        } catch {
                            return 1
                        }
                    }
                }
                var total = 0
                for await failed in group { total += failed }
                return total
            }
        default:
            FileHandle.standardError.write(Data("unknown measurement \(arguments[2])\n".utf8))
            exit(2)
        }
        func seconds(_ elapsed: Duration) -> Double {
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        let sending = seconds(ContinuousClock.now - start)
        let setup = seconds(start - setupStart)
        let rateLimited = await client.metrics.rateLimited
        await client.shutdown()
        let result = JSONValue.object([
            ("measurement", .string(arguments[2])), ("requests", .int(requests)), ("failures", .int(failures)),
            ("client_429s", .int(rateLimited)), ("seconds", .number(String(format: "%.3f", sending))),
            ("setup_seconds", .number(String(format: "%.3f", setup))),
            ("requests_per_second", .number(String(format: "%.1f", Double(requests) / sending))),
        ])
        print(result.compactText)
        exit(failures == 0 ? 0 : 1)
    }
}
