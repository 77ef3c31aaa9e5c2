import CampaignModel
import Diagnostics
import YAMLFrontEnd

/// The language of `provider: cleverpush` resources: notifications, tag audiences and subscriber syncs.
enum CleverPushFields {
    static let provider = "cleverpush"
    static let common = ["key", "provider", "name", "type"]
    static let notification = common + ["content", "audience", "schedule"]
    static let tagAudience = common + ["tag_id", "mode", "members"]
    static let subscribers = common + ["mode", "file", "email_opt_in_form_id"]
    static let all = Array(Set(notification + tagAudience + subscribers)).sorted()
    static let content = ["title", "text", "url", "media_url", "icon_url"]
    static let audience = ["tags", "topics", "segments", "subscriptions_file", "user_ids", "user_ids_file"]
    static let members = ["file"]
    /// At most this many subscription ids go into one notification request.
    static let maxSubscriptionsPerNotification = 50_000
    /// `project.yaml`'s `cleverpush:` and an environment's `cleverpush:`.
    static let settings = ["channel_id", "private_key_env", "api_url", "concurrency", "rate"]
}

extension DocumentDecoder {
    /// The CleverPush resource `document` describes, or nil when any error was found. Project `defaults` (CleverTap's
    /// fields) do not apply.
    mutating func cleverPush(_ document: YAMLDocument) -> CleverPushResource? {
        let root = document.root
        guard let fields = checker.fields(root, what: "a CleverPush resource", allowed: CleverPushFields.all,
                                          extraHints: ["body": "a CleverPush notification calls it `text` (inside `content`)", "title": "`title` belongs inside `content`"])
        else { return nil }
        let keyInfo = key(fields, document: document)
        let name = fields["name"].flatMap { checker.string($0, field: "name") }
        if fields["name"] == nil {
            checker.error(CampaignDiagnosticCode.missingField, "resource has no `name`", at: document.location, hint: "add `name: …`; it is shown in plans and must be unique")
        }
        guard let typeNode = fields["type"] else {
            checker.error(CampaignDiagnosticCode.missingField, "a CleverPush resource needs a `type`", at: document.location,
                          hint: "one of " + CleverPushResource.Kind.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", "))
            return nil
        }
        guard let kind = checker.choice(typeNode, field: "type", as: CleverPushResource.Kind.self) else { return nil }
        let allowed: [String]
        switch kind {
        case .notification: allowed = CleverPushFields.notification
        case .tagAudience: allowed = CleverPushFields.tagAudience
        case .subscribers: allowed = CleverPushFields.subscribers
        }
        for entry in fields.entries where !allowed.contains(entry.name) {
            checker.error(CampaignDiagnosticCode.notForType, "`\(entry.name)` is not a field of a CleverPush \(kind.rawValue)", at: entry.key,
                          hint: "a \(kind.rawValue) takes " + allowed.filter { !CleverPushFields.common.contains($0) }.map { "`\($0)`" }.joined(separator: ", "))
        }
        let body: CleverPushResource.Body?
        switch kind {
        case .notification: body = notification(fields, document: document).map(CleverPushResource.Body.notification)
        case .tagAudience: body = tagAudience(fields, document: document).map(CleverPushResource.Body.tagAudience)
        case .subscribers: body = subscribers(fields, document: document).map(CleverPushResource.Body.subscribers)
        }
        guard !checker.hasErrors, let keyInfo, let name, let body else { return nil }
        return CleverPushResource(key: keyInfo.key, name: name, body: body, file: file, document: document.location, keyLocation: keyInfo.location)
    }

    private mutating func notification(_ fields: Fields, document: YAMLDocument) -> CleverPushNotification? {
        guard let node = fields["content"] else {
            checker.error(CampaignDiagnosticCode.missingField, "a notification needs `content` (`title`, `text`, `url`)", at: document.location)
            return nil
        }
        guard let content = checker.fields(node, what: "`content`", allowed: CleverPushFields.content, extraHints: ["body": "CleverPush calls it `text`"]) else { return nil }
        func required(_ name: String) -> String? {
            guard let node = content[name] else {
                checker.error(CampaignDiagnosticCode.missingField, "`content` needs `\(name)`", at: content.node)
                return nil
            }
            return checker.string(node, field: "content.\(name)")
        }
        func link(_ name: String, required isRequired: Bool) -> String? {
            guard let node = content[name] else {
                if isRequired { checker.error(CampaignDiagnosticCode.missingField, "`content` needs `\(name)`", at: content.node) }
                return nil
            }
            guard let value = checker.string(node, field: "content.\(name)") else { return nil }
            guard value.hasPrefix("https://") || value.hasPrefix("http://") else {
                checker.error(CampaignDiagnosticCode.invalidValue, "`content.\(name)` must be an http(s) URL", at: node, hint: "for example `https://example.com/sale`")
                return nil
            }
            return value
        }
        let title = required("title")
        let text = required("text")
        let url = link("url", required: true)
        let media = link("media_url", required: false)
        let icon = link("icon_url", required: false)
        let audience = notificationAudience(fields, document: document)
        var schedule = Schedule.now
        if let node = fields["schedule"], let text = checker.string(node, field: "schedule") {
            switch ScheduleParser.schedule(text, timezone: context.settings.timezone) {
            case .success(.delivery), .failure:
                checker.error(CampaignDiagnosticCode.invalidSchedule, "invalid schedule \(Quoting.code(text))", at: node,
                              hint: "`now`, `YYYY-MM-DD HH:MM` in the project's time zone, or ISO 8601 with an offset")
            case .success(let parsed):
                schedule = parsed
            }
        }
        guard let title, let text, let url, let audience else { return nil }
        return CleverPushNotification(title: title, text: text, url: url, mediaURL: media, iconURL: icon, audience: audience, schedule: schedule)
    }

    private mutating func notificationAudience(_ fields: Fields, document: YAMLDocument) -> CleverPushNotification.Audience? {
        guard let node = fields["audience"] else {
            checker.error(CleverPushDiagnosticCode.audience, "a notification needs an `audience`", at: document.location,
                          hint: "write `audience: all` for the whole channel, or name `tags`, `topics`, `segments`, a `subscriptions_file` or `user_ids`")
            return nil
        }
        if let text = node.scalar?.value, !node.isNull {
            guard text == "all" else {
                checker.error(CleverPushDiagnosticCode.audience, "`audience` must be `all` or a mapping, not \(Quoting.code(text, limit: 40))", at: node,
                              hint: "`audience: all` sends to the whole channel")
                return nil
            }
            return .all
        }
        guard let audience = checker.fields(node, what: "`audience`", allowed: CleverPushFields.audience) else { return nil }
        let named = ["tags", "topics", "segments"].filter { audience.has($0) }
        let lists = ["subscriptions_file", "user_ids", "user_ids_file"].filter { audience.has($0) }
        if named.isEmpty && lists.isEmpty {
            checker.error(CleverPushDiagnosticCode.audience, "`audience` selects nobody", at: node, hint: "name `tags`, `topics` or `segments`, or write `audience: all`")
            return nil
        }
        if !lists.isEmpty && (!named.isEmpty || lists.count > 1), let second = audience.keyNode((named + lists).last ?? "") {
            checker.error(CleverPushDiagnosticCode.audience, "give one of `subscriptions_file`, `user_ids`, `user_ids_file`, or tags/topics/segments — not several", at: second)
            return nil
        }
        func names(_ field: String) -> [String] {
            guard let node = audience[field] else { return [] }
            if node.scalar != nil, let one = checker.string(node, field: "audience.\(field)") { return [one] }
            guard let items = checker.list(node, field: "audience.\(field)", of: "names") else { return [] }
            var result: [String] = []
            for item in items {
                if let value = checker.string(item, field: "audience.\(field)"), !result.contains(value) { result.append(value) }
            }
            return result
        }
        if !named.isEmpty { return .names(tags: names("tags"), topics: names("topics"), segments: names("segments")) }
        if audience.has("user_ids") {
            let ids = names("user_ids")
            if ids.isEmpty, let node = audience["user_ids"] {
                checker.error(CampaignDiagnosticCode.emptyAudience, "`audience.user_ids` lists nobody", at: node)
                return nil
            }
            return .users(ids)
        }
        let column = audience.has("subscriptions_file") ? "subscription_id" : "user_id"
        guard let fileNode = audience["subscriptions_file"] ?? audience["user_ids_file"], let table = cleverPushCSV(fileNode, field: "file") else { return nil }
        guard let ids = singleColumn(table, column: column) else { return nil }
        if column == "subscription_id" {
            if ids.isEmpty {
                checker.error(CampaignDiagnosticCode.emptyAudience, "the subscriptions file lists nobody", at: fileNode)
                return nil
            }
            return .subscriptions(ids)
        }
        return .users(ids)
    }

    private mutating func tagAudience(_ fields: Fields, document: YAMLDocument) -> CleverPushTagAudience? {
        var tagID: String?
        if let node = fields["tag_id"] { tagID = checker.string(node, field: "tag_id") } else {
            checker.error(CampaignDiagnosticCode.missingField, "a tag audience needs `tag_id`", at: document.location, hint: "the id of a tag that exists in the channel")
        }
        var mode = CleverPushTagAudience.Mode.mirror
        if let node = fields["mode"] { mode = checker.choice(node, field: "mode", as: CleverPushTagAudience.Mode.self) ?? .mirror }
        guard let membersNode = fields["members"] else {
            checker.error(CampaignDiagnosticCode.missingField, "a tag audience needs `members: {file: …}`", at: document.location,
                          hint: "a CSV with a `subscription_id` column (and optionally a comma-separated `tags` column)")
            return nil
        }
        guard let members = checker.fields(membersNode, what: "`members`", allowed: CleverPushFields.members) else { return nil }
        guard let fileNode = members["file"] else {
            checker.error(CampaignDiagnosticCode.missingField, "`members` needs `file`", at: membersNode)
            return nil
        }
        guard let table = cleverPushCSV(fileNode, field: "members.file"), let tagID else { return nil }
        guard let header = header(table, required: [], allowed: ["subscription_id", "user_id", "tags"]) else { return nil }
        // Native subscription ids, or external user ids (looked up when applied): one of the two.
        let byUserID = header["user_id"] != nil
        if (header["subscription_id"] != nil) == byUserID {
            checker.error(CleverPushDiagnosticCode.rows, byUserID ? "give a `subscription_id` or a `user_id` column, not both" : "the file has no `subscription_id` (or `user_id`) column",
                          at: SourceLocation(file: table.path, line: 1, column: 1), hint: "the first line names the columns, e.g. `subscription_id,tags`")
            return nil
        }
        let idColumn = byUserID ? "user_id" : "subscription_id"
        var ids: [String] = []
        var seen = Set<String>()
        for index in 1..<max(1, table.rowCount) {
            let row = Array(table.row(index))
            let id = cell(row, header[idColumn])
            if let tagsColumn = header["tags"] {
                // One row, several tags (as a sync tool splits them): a member when this audience's tag is among them.
                let tags = cell(row, tagsColumn).split(separator: ",").map { String($0).trimmingWhitespace() }
                if !tags.contains(tagID) { continue }
            }
            guard !id.isEmpty else {
                checker.error(CleverPushDiagnosticCode.rows, "row \(index + 1) has no `\(idColumn)`", at: row.first.map { SourceLocation(file: table.path, line: $0.line, column: $0.column) } ?? fileNode.location)
                continue
            }
            if seen.insert(id).inserted { ids.append(id) }
        }
        return CleverPushTagAudience(tagID: tagID, mode: mode, members: ids, byUserID: byUserID)
    }

    private mutating func subscribers(_ fields: Fields, document: YAMLDocument) -> CleverPushSubscribers? {
        var mode = CleverPushSubscribers.Mode.upsert
        if let node = fields["mode"] { mode = checker.choice(node, field: "mode", as: CleverPushSubscribers.Mode.self) ?? .upsert }
        let form = fields["email_opt_in_form_id"].flatMap { checker.string($0, field: "email_opt_in_form_id") }
        if mode == .remove, let node = fields.keyNode("email_opt_in_form_id") {
            checker.error(CampaignDiagnosticCode.notForType, "`email_opt_in_form_id` is for `mode: upsert`", at: node)
        }
        guard let fileNode = fields["file"] else {
            checker.error(CampaignDiagnosticCode.missingField, "a subscriber sync needs a CSV `file`", at: document.location,
                          hint: mode == .remove ? "with a `subscription_id` column" : "with a `user_id` column, and `email`, `phone`, `topics`, `country`, `language` or custom attributes")
            return nil
        }
        guard let table = cleverPushCSV(fileNode, field: "file") else { return nil }
        let idColumn = mode == .remove ? "subscription_id" : "user_id"
        guard let header = header(table, required: [idColumn], allowed: nil) else { return nil }
        let names = table.row(0).map { $0.text.trimmingWhitespace().lowercased() }
        var rows: [CleverPushSubscribers.Row] = []
        var seen: [String: Int] = [:]
        for index in 1..<max(1, table.rowCount) {
            let row = Array(table.row(index))
            let id = cell(row, header[idColumn])
            let at = row.first.map { SourceLocation(file: table.path, line: $0.line, column: $0.column) } ?? fileNode.location
            guard !id.isEmpty else {
                checker.error(CleverPushDiagnosticCode.rows, "row \(index + 1) has no `\(idColumn)`", at: at)
                continue
            }
            if let first = seen[id] {
                checker.error(CleverPushDiagnosticCode.rows, "`\(idColumn)` \(Quoting.cell(id)) appears twice (rows \(first) and \(index + 1))", at: at,
                              hint: "one row per subscription: merge the rows")
                continue
            }
            seen[id] = index + 1
            var values: [(String, String)] = []
            for (position, name) in names.enumerated() where name != idColumn {
                let value = cell(row, position)
                if name == "email", !value.isEmpty, !RecipientCollector.looksLikeEmail(value) {
                    checker.error(CampaignDiagnosticCode.invalidEmail, "\(Quoting.cell(value)) is not an email address", at: at)
                }
                if !value.isEmpty { values.append((name, value)) }
            }
            rows.append(CleverPushSubscribers.Row(id: id, fields: values))
        }
        return CleverPushSubscribers(mode: mode, emailOptInFormID: form, rows: rows)
    }

    // MARK: CSV files

    /// A CSV read for a CleverPush resource, with its path.
    struct NamedTable {
        var table: CSVTable
        var path: String
        var rowCount: Int { table.rowCount }
        func row(_ index: Int) -> ArraySlice<CSVTable.Cell> { table.row(index) }
    }

    /// The column index of each name in the header; nil (after errors) when a required one is missing, a name repeats,
    /// or (with `allowed`) a column is unknown.
    mutating func header(_ table: NamedTable, required: [String], allowed: [String]?) -> [String: Int]? {
        var result: [String: Int] = [:]
        var failed = false
        for (index, cell) in table.row(0).enumerated() {
            let name = cell.text.trimmingWhitespace().lowercased()
            let at = SourceLocation(file: table.path, line: cell.line, column: cell.column)
            if result[name] != nil {
                checker.error(CampaignDiagnosticCode.csvProblem, "column \(Quoting.cell(name)) appears twice", at: at)
                failed = true
            }
            if let allowed, !allowed.contains(name) {
                checker.error(CampaignDiagnosticCode.csvProblem, "unknown column \(Quoting.cell(cell.text))", at: at,
                              hint: Suggestions.closest(to: name, in: allowed).map { "did you mean `\($0)`?" } ?? "columns are " + allowed.map { "`\($0)`" }.joined(separator: ", "))
                failed = true
            }
            result[name] = index
        }
        for name in required where result[name] == nil {
            checker.error(CleverPushDiagnosticCode.rows, "the file has no `\(name)` column", at: SourceLocation(file: table.path, line: 1, column: 1),
                          hint: "the first line names the columns, e.g. `\(name)`")
            failed = true
        }
        return failed ? nil : result
    }

    func cell(_ row: [CSVTable.Cell], _ index: Int?) -> String {
        guard let index, index < row.count else { return "" }
        return row[index].text.trimmingWhitespace()
    }

    /// The values of `column` (required), in order, without duplicates or blanks.
    private mutating func singleColumn(_ table: NamedTable, column: String) -> [String]? {
        guard let header = header(table, required: [column], allowed: nil), let position = header[column] else { return nil }
        var ids: [String] = []
        var seen = Set<String>()
        for index in 1..<max(1, table.rowCount) {
            let value = cell(Array(table.row(index)), position)
            if !value.isEmpty, seen.insert(value).inserted { ids.append(value) }
        }
        return ids
    }

    /// Reads the CSV named by `node` (relative to the resource's file, inside the project).
    mutating func cleverPushCSV(_ node: YAMLNode, field: String) -> NamedTable? {
        guard let relative = checker.string(node, field: field) else { return nil }
        let inside = "files must be inside the project folder (the folder holding project.yaml)"
        if relative.hasPrefix("/") || Self.climbsOut(relative, from: relativePath) {
            checker.error(CampaignDiagnosticCode.resourceOutsideProject, "file \(Quoting.code(relative, limit: 120)) is outside the project folder", at: node,
                          hint: inside + "; the path is relative to the resource's file")
            return nil
        }
        let path = file.lastIndex(of: "/").map { String(file[...$0]) + relative } ?? relative
        let bytes: [UInt8]
        switch resources.read(path) {
        case .failure(let problem) where problem.code == CampaignDiagnosticCode.resourceOutsideProject:
            checker.error(CampaignDiagnosticCode.resourceOutsideProject, "file \(Quoting.code(relative, limit: 120)) leads outside the project folder", at: node, hint: inside)
            return nil
        case .failure(let problem):
            checker.error(CampaignDiagnosticCode.csvProblem, "cannot read \(Quoting.code(relative, limit: 120)): \(problem.message)", at: node,
                          hint: "the path is relative to the resource's file")
            return nil
        case .success(let data):
            bytes = data
        }
        loaded.append(SourceFile(path: path, bytes: bytes))
        switch CSVTable.parse(bytes) {
        case .success(let table) where table.rowCount > 0:
            return NamedTable(table: table, path: path)
        case .success:
            checker.error(CampaignDiagnosticCode.csvProblem, "the file is empty", at: SourceLocation(file: path, line: 1, column: 1), hint: "the first line names the columns")
        case .failure(.invalidUTF8):
            checker.error(CampaignDiagnosticCode.csvProblem, "the file is not valid UTF-8", at: SourceLocation(file: path, line: 1, column: 1))
        case .failure(.unterminatedQuote(let line, let column)):
            checker.error(CampaignDiagnosticCode.csvProblem, "unterminated quoted field", at: SourceLocation(file: path, line: line, column: column))
        case .failure(.lineBreakInQuotes(let line, let column)):
            checker.error(CampaignDiagnosticCode.csvProblem, "line break inside a quoted cell", at: SourceLocation(file: path, line: line, column: column))
        case .failure(.controlCharacter(_, let line, let column)):
            checker.error(CampaignDiagnosticCode.csvProblem, "a cell holds a control character", at: SourceLocation(file: path, line: line, column: column))
        case .failure(.stray(let line, let column)):
            checker.error(CampaignDiagnosticCode.csvProblem, "stray `\"` in a field", at: SourceLocation(file: path, line: line, column: column))
        }
        return nil
    }
}

/// Stable codes of the CleverPush resources' own diagnostics (`docs/LANGUAGE.md`).
public enum CleverPushDiagnosticCode {
    /// A notification's audience is missing, selects nobody, or mixes forms.
    public static let audience: DiagnosticCode = "C080"
    /// A CSV row or column a CleverPush resource needs is missing or repeated.
    public static let rows: DiagnosticCode = "C081"
    /// `project.yaml`'s or an environment's `cleverpush:` settings are wrong or missing.
    public static let settings: DiagnosticCode = "C082"
}
