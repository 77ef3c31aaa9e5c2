import CampaignEngine
import CampaignModel
import Foundation
import JSON
import PersonaClickClient

/// `campaign status` for PersonaClick: contacts per flag from state, and the change feed summarised per day × event ×
/// channel (a table, JSON, or Markdown with a Mermaid `xychart-beta` of unsubscribes per day). Pure.
public enum PersonaClickStatus {
    /// Counts of one flag over the contacts in state.
    public struct FlagCount: Sendable, Hashable {
        public var name: String
        public var on = 0
        public var off = 0
        public var unset = 0
    }

    /// What state says of every preferences record: contacts, per flag, held back, confirmed.
    public struct Counts: Sendable, Hashable {
        public var contacts = 0
        public var flags: [FlagCount] = PersonaClickFlags.names.map { FlagCount(name: $0) }
        public var held = 0
        public var confirmed = 0
        public var suppressions = 0
    }

    /// Counts over `state`'s PersonaClick records.
    public static func counts(_ state: EngineState) -> Counts {
        var counts = Counts()
        for record in state.campaigns.values where record.provider == PersonaClickRules.name {
            if record.kind == PersonaClickRules.suppressions { counts.suppressions += record.deliveredCount }
            guard record.kind == PersonaClickRules.preferences else { continue }
            for text in record.delivered[PersonaClickBinding.contact] ?? [] {
                guard let member = PersonaClickMember(text) else { continue }
                counts.contacts += 1
                if !member.held.isEmpty { counts.held += 1 }
                if member.confirm { counts.confirmed += 1 }
                for (index, flag) in member.flags.enumerated() {
                    switch flag {
                    case true?: counts.flags[index].on += 1
                    case false?: counts.flags[index].off += 1
                    case nil: counts.flags[index].unset += 1
                    }
                }
            }
        }
        return counts
    }

    /// One row of the feed's summary.
    public struct ChangeRow: Sendable, Hashable {
        public var day: String
        public var event: String
        public var channel: String
        public var count: Int
    }

    /// The feed per day × event × channel, in that order.
    public static func summarise(_ changes: [PersonaClickChange]) -> [ChangeRow] {
        var grouped: [String: ChangeRow] = [:]
        for change in changes {
            let day = String(change.datetime.prefix(10))
            let id = day + "\u{0}" + change.event + "\u{0}" + change.channel
            grouped[id, default: ChangeRow(day: day, event: change.event, channel: change.channel, count: 0)].count += 1
        }
        return grouped.values.sorted { ($0.day, $0.event, $0.channel) < ($1.day, $1.event, $1.channel) }
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    /// The text tables.
    public static func text(_ counts: Counts, changes: [ChangeRow]?, since: String?) -> String {
        var out = "\nPersonaClick: \(counts.contacts) contact\(counts.contacts == 1 ? "" : "s") in state (\(counts.held) held back for consent, \(counts.confirmed) emails confirmed), \(counts.suppressions) suppression\(counts.suppressions == 1 ? "" : "s")\n"
        out += table([["FLAG", "TRUE", "FALSE", "UNSET"]] + counts.flags.map { [$0.name, String($0.on), String($0.off), String($0.unset)] })
        if let changes {
            out += "\nChange feed since \(since ?? "?"): \(changes.reduce(0) { $0 + $1.count }) changes\n"
            out += changes.isEmpty ? "(none)\n" : table([["DAY", "EVENT", "CHANNEL", "COUNT"]] + changes.map { [$0.day, $0.event, $0.channel, String($0.count)] })
        }
        return out
    }

    /// `{"contacts", "held", "confirmed", "suppressions", "flags": {name: {"true", "false", "unset"}}, "changes"?: {"since", "total", "rows"}}`.
    public static func json(_ counts: Counts, changes: [ChangeRow]?, since: String?) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("contacts", .int(counts.contacts)), ("held", .int(counts.held)), ("confirmed", .int(counts.confirmed)), ("suppressions", .int(counts.suppressions)),
            ("flags", .object(counts.flags.map { ($0.name, .object([("true", .int($0.on)), ("false", .int($0.off)), ("unset", .int($0.unset))])) })),
        ]
        if let changes {
            fields.append(("changes", .object([
                ("since", since.map(JSONValue.string) ?? .null), ("total", .int(changes.reduce(0) { $0 + $1.count })),
                ("rows", .array(changes.map { .object([("day", .string($0.day)), ("event", .string($0.event)), ("channel", .string($0.channel)), ("count", .int($0.count))]) })),
            ])))
        }
        return .object(fields)
    }

    /// Markdown tables, and a Mermaid `xychart-beta` of unsubscribes per day (GitHub renders it).
    public static func markdown(_ counts: Counts, changes: [ChangeRow]?, since: String?) -> String {
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = "### PersonaClick subscriptions\n\n**\(counts.contacts) contacts** in state, \(counts.held) held back for consent, \(counts.confirmed) emails confirmed, \(counts.suppressions) suppressions.\n\n"
        out += "| flag | true | false | unset |\n|---|---:|---:|---:|\n"
        for flag in counts.flags { out += "| `\(flag.name)` | \(flag.on) | \(flag.off) | \(flag.unset) |\n" }
        guard let changes else { return out }
        out += "\n#### Change feed since \(cell(since ?? "?"))\n\n"
        var perDay: [String: Int] = [:]
        for row in changes where row.event == "unsubscribe" { perDay[row.day, default: 0] += row.count }
        let days = Array(Set(changes.map(\.day))).sorted()
        if !days.isEmpty {
            let top = max(1, perDay.values.max() ?? 0)
            out += "```mermaid\nxychart-beta\n    title \"Unsubscribes per day\"\n"
            out += "    x-axis [" + days.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
            out += "    y-axis \"unsubscribes\" 0 --> \(top)\n"
            out += "    bar [" + days.map { String(perDay[$0] ?? 0) }.joined(separator: ", ") + "]\n```\n\n"
        }
        out += "| day | event | channel | count |\n|---|---|---|---:|\n"
        for row in changes { out += "| \(row.day) | \(cell(row.event)) | \(cell(row.channel)) | \(row.count) |\n" }
        if changes.isEmpty { out += "| | (no changes) | | 0 |\n" }
        return out
    }
}

extension PersonaClickRuntime {
    /// The change feed from `since` (`YYYY-MM-DD`) to today.
    public func changes(since: String) async throws(ProviderFailure) -> [PersonaClickChange] {
        do {
            return try await client.allChanges(from: since, to: Self.day(Date(timeIntervalSinceNow: 86_400))).changes
        } catch {
            throw Self.failure(error)
        }
    }
}
