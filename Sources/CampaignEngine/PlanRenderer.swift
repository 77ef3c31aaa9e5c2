import JSON

/// Plan output: text for people, Markdown for pull-request comments, JSON for machines.
public enum PlanRenderer {
    /// Format version of `--format json` plans.
    /// 2: ids are strings (every provider's ids are opaque text).
    public static let jsonFormatVersion = 2
    /// Markdown comments are kept under this many characters (GitHub's limit is 65,536).
    public static let markdownLimit = 60_000

    static func symbol(_ kind: ActionKind) -> String {
        switch kind {
        case .create: "+"
        case .send: ">"
        case .replace: "±"
        case .update: "~"
        case .stop: "■"
        case .move: "→"
        case .forget: "-"
        case .noChange: "="
        case .kept: "·"
        case .refused: "!"
        }
    }

    static func color(_ kind: ActionKind) -> String {
        switch kind {
        case .create, .send: "32"
        case .replace, .move, .update: "33"
        case .stop, .forget: "35"
        case .noChange, .kept: "2"
        case .refused: "1;31"
        }
    }

    /// One line per campaign and the summary line.
    public static func text(_ plan: Plan, colors: Bool) -> String {
        String(decoding: textBytes(plan, colors: colors), as: UTF8.self)
    }

    /// ``text(_:colors:)`` as UTF-8 bytes, built directly: plans of thousands of campaigns are printed in one go.
    public static func textBytes(_ plan: Plan, colors: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(plan.actions.count * 96)
        if let notice = plan.notice {
            out.append(contentsOf: (colors ? "\u{1B}[1;33m\(notice)\u{1B}[0m" : notice).utf8)
            out.append(0x0A)
        }
        // By index: iterating would copy every action.
        for index in plan.actions.indices {
            let kind = plan.actions[index].kind
            if colors { out.append(contentsOf: "\u{1B}[\(color(kind))m".utf8) }
            out.append(contentsOf: symbol(kind).utf8)
            out.append(0x20)
            out.append(contentsOf: plan.actions[index].key.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: kind.rawValue.utf8)
            if let id = plan.actions[index].id {
                out.append(contentsOf: " [id ".utf8)
                out.append(contentsOf: id.utf8)
                out.append(UInt8(ascii: "]"))
            }
            out.append(contentsOf: " — ".utf8)
            out.append(contentsOf: plan.actions[index].reason.utf8)
            if let estimates = plan.actions[index].estimates {
                out.append(contentsOf: (" (estimated reach: " + estimates.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")").utf8)
            }
            if colors { out.append(contentsOf: "\u{1B}[0m".utf8) }
            out.append(0x0A)
        }
        out.append(contentsOf: (colors ? "\u{1B}[1m\(plan.summary)\u{1B}[0m" : plan.summary).utf8)
        out.append(0x0A)
        return out
    }

    /// A summary table first, then the details collapsed; cut below ``markdownLimit`` with a note.
    public static func markdown(_ plan: Plan) -> String {
        let notice = plan.notice.map { "> **\(escape($0))**\n\n" } ?? ""
        let head = "### Campaign plan\n\n\(notice)**\(plan.summary)**\n\n| | campaign | action | why |\n|---|---|---|---|\n"
        var rows: [String] = []
        for action in plan.actions {
            rows.append("| \(symbol(action.kind)) | `\(escape(action.key))` | \(action.kind.rawValue) | \(escape(action.reason)) |\n")
        }
        var details: [String] = []
        for action in plan.actions where !action.requests.isEmpty {
            var block = "<details><summary><code>\(escape(action.key))</code>: \(action.requests.count) request\(action.requests.count == 1 ? "" : "s")</summary>\n\n"
            for request in action.requests.prefix(3) {
                block += "`\(request.method) \(request.path)`\n\n```json\n\(JSONWriter(indent: 2).string(request.body))\n```\n\n"
            }
            if action.requests.count > 3 { block += "…and \(action.requests.count - 3) more requests.\n\n" }
            block += "</details>\n"
            details.append(block)
        }
        let cutNote = "\n> **Note:** output cut to stay under \(markdownLimit) characters; run `campaign plan` locally for the whole plan.\n"
        var out = head
        var cut = false
        for row in rows {
            if out.count + row.count + cutNote.count > markdownLimit { cut = true; break }
            out += row
        }
        out += "\n"
        if !cut {
            for block in details {
                if out.count + block.count + cutNote.count > markdownLimit { cut = true; break }
                out += block
            }
        }
        if cut { out += cutNote }
        return out
    }

    private static func escape(_ text: String) -> String {
        text.replacingAll("|", with: "\\|").replacingAll("\n", with: " ").replacingAll("<", with: "&lt;")
    }

    /// `{"format_version", "summary", "actions": [...]}`.
    public static func json(_ plan: Plan) -> JSONValue {
        var head: [(String, JSONValue)] = [("format_version", .int(jsonFormatVersion))]
        if let notice = plan.notice { head.append(("notice", .string(notice))) }
        return .object(head + [
            ("summary", .object({ let counts = plan.counts; return ActionKind.allCases.map { ($0.rawValue, .int(counts[$0] ?? 0)) } }())),
            ("not_in_scope", .int(plan.notInScope)),
            ("actions", .array(plan.actions.map { action in
                var members: [(String, JSONValue)] = [("key", .string(action.key)), ("action", .string(action.kind.rawValue)), ("reason", .string(action.reason))]
                if let id = action.id { members.append(("id", .string(id))) }
                if let from = action.movedFrom { members.append(("moved_from", .string(from))) }
                if let estimates = action.estimates { members.append(("estimates", .object(estimates.map { ($0.0, .int($0.1)) }))) }
                members.append(("requests", .array(action.requests.map(\.json))))
                return .object(members)
            })),
        ])
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
