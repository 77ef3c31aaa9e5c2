import JSON

/// Plan output: text for people, Markdown for pull-request comments, JSON for machines.
public enum PlanRenderer {
    /// Format version of `--format json` plans.
    /// 2: ids are strings (every provider's ids are opaque text). Keys added since without a new version (readers
    /// ignore keys they do not know): `changes_recorded` and `changes` on actions whose content changed; `notes`
    /// (`[{"mark", "word", "text"}]`) on actions a provider explained (a consent hold).
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
            if let changes = plan.actions[index].changes { appendChanges(changes, colors: colors, into: &out) }
            for note in plan.actions[index].notes { appendNote(note, colors: colors, into: &out) }
        }
        out.append(contentsOf: (colors ? "\u{1B}[1m\(plan.summary)\u{1B}[0m" : plan.summary).utf8)
        out.append(0x0A)
        return out
    }

    /// Indentation of the lines that say what changed under an action.
    static let changeIndent = "    "

    /// `    ~ content.title: "Spring Sale" → "Spring Sale: 48 hours early"` per field (`+` added, `-` removed), coloured
    /// like Terraform's (yellow, green, red) when colours are on; or one note when nothing can be compared.
    static func appendChanges(_ diff: FieldDiff, colors: Bool, into out: inout [UInt8]) {
        func line(_ text: String, color: String) {
            out.append(contentsOf: changeIndent.utf8)
            if colors { out.append(contentsOf: "\u{1B}[\(color)m".utf8) }
            out.append(contentsOf: text.utf8)
            if colors { out.append(contentsOf: "\u{1B}[0m".utf8) }
            out.append(0x0A)
        }
        switch diff {
        case .notRecorded:
            line("(" + FieldDiff.notRecordedNote + ")", color: "2")
        case .changed(let changes) where changes.isEmpty:
            line("(" + FieldDiff.noFieldNote + ")", color: "2")
        case .changed(let changes):
            for change in changes { line(changeLine(change), color: change.old == nil ? "32" : change.new == nil ? "31" : "33") }
        }
    }

    /// `    ! consent: …` (bold red with colours on): a provider's note under an action.
    static func appendNote(_ note: PlanNote, colors: Bool, into out: inout [UInt8]) {
        out.append(contentsOf: changeIndent.utf8)
        if colors { out.append(contentsOf: "\u{1B}[1;31m".utf8) }
        out.append(contentsOf: noteLine(note).utf8)
        if colors { out.append(contentsOf: "\u{1B}[0m".utf8) }
        out.append(0x0A)
    }

    /// `! consent: text`, on one line.
    static func noteLine(_ note: PlanNote) -> String { printable(note.mark) + " " + printable(note.word) + ": " + printable(note.text) }

    /// `~ path: old → new`, `+ path: new` or `- path: old`, on one line (control characters shown as `?`).
    static func changeLine(_ change: FieldChange) -> String {
        let path = printable(change.path)
        switch (change.old, change.new) {
        case (let old?, let new?): return "~ \(path): \(printable(old)) → \(printable(new))"
        case (nil, let new?): return "+ \(path): \(printable(new))"
        case (let old?, nil): return "- \(path): \(printable(old))"
        case (nil, nil): return "~ \(path)"
        }
    }

    /// `text` without control characters (a provider's display value must not break a line or reach the terminal as
    /// an escape sequence).
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { scalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar) }
        return String(scalars)
    }

    /// What a details block's summary says about an action's changes and requests (`2 fields changed, 1 request`).
    static func detailsLabel(_ action: PlanAction) -> String {
        var parts: [String] = []
        switch action.changes {
        case .changed(let changes)?:
            parts.append(changes.isEmpty ? "no reviewable field changed" : "\(changes.count) field\(changes.count == 1 ? "" : "s") changed")
        case .notRecorded?:
            parts.append("fields last applied not recorded")
        case nil:
            break
        }
        if !action.requests.isEmpty { parts.append("\(action.requests.count) request\(action.requests.count == 1 ? "" : "s")") }
        return parts.joined(separator: ", ")
    }

    /// A fenced code block of `language` that `text` cannot close early (the fence is longer than any run of
    /// backticks in it).
    static func fenced(_ text: String, language: String) -> String {
        var longest = 0, run = 0
        for character in text.utf8 {
            if character == UInt8(ascii: "`") {
                run += 1
                longest = max(longest, run)
            } else {
                run = 0
            }
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return "\(fence)\(language)\n\(text)\n\(fence)\n\n"
    }

    /// The changes as a Markdown `diff` block (each changed field as a `-` line and a `+` line, which GitHub colours),
    /// or a note when nothing can be compared.
    static func markdownChanges(_ diff: FieldDiff) -> String {
        switch diff {
        case .notRecorded:
            return "_\(escape(FieldDiff.notRecordedNote))._\n\n"
        case .changed(let changes) where changes.isEmpty:
            return "_\(escape(FieldDiff.noFieldNote))._\n\n"
        case .changed(let changes):
            var lines: [String] = []
            for change in changes {
                let path = printable(change.path)
                if let old = change.old { lines.append("- \(path): \(printable(old))") }
                if let new = change.new { lines.append("+ \(path): \(printable(new))") }
            }
            return fenced(lines.joined(separator: "\n"), language: "diff")
        }
    }

    /// A summary table first, then the details collapsed; cut below ``markdownLimit`` with a note.
    public static func markdown(_ plan: Plan) -> String {
        let notice = plan.notice.map { "> **\(escape($0))**\n\n" } ?? ""
        let head = "### Campaign plan\n\n\(notice)**\(plan.summary)**\n\n| | campaign | action | why |\n|---|---|---|---|\n"
        var rows: [String] = []
        for action in plan.actions {
            rows.append("| \(symbol(action.kind)) | `\(escape(action.key))` | \(action.kind.rawValue) | \(escape(action.reason)) |\n")
            for note in action.notes { rows.append("| \(escape(note.mark)) | `\(escape(action.key))` | \(escape(note.word)) | \(escape(printable(note.text))) |\n") }
        }
        var details: [String] = []
        for action in plan.actions where !action.requests.isEmpty || action.changes != nil {
            var block = "<details><summary><code>\(escape(action.key))</code>: \(detailsLabel(action))</summary>\n\n"
            if let changes = action.changes { block += markdownChanges(changes) }
            for request in action.requests.prefix(3) {
                block += "`\(request.method) \(request.path)`\n\n" + fenced(JSONWriter(indent: 2).string(request.body), language: "json")
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
                if let changes = action.changes {
                    members.append(("changes_recorded", .bool(changes != .notRecorded)))
                    members.append(("changes", changesJSON(changes)))
                }
                if !action.notes.isEmpty { members.append(("notes", .array(action.notes.map(\.json)))) }
                members.append(("requests", .array(action.requests.map(\.json))))
                return .object(members)
            })),
        ])
    }
}

extension PlanRenderer {
    /// `[{"path", "old", "new"}]`, display values as the text plan shows them (`old` null for a field added, `new`
    /// null for one removed); empty when not recorded.
    public static func changesJSON(_ diff: FieldDiff) -> JSONValue {
        .array(diff.changes.map { change in
            .object([
                ("path", .string(change.path)), ("old", change.old.map(JSONValue.string) ?? .null), ("new", change.new.map(JSONValue.string) ?? .null),
            ])
        })
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
