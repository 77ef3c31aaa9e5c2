import CampaignModel
import Diagnostics
import YAMLFrontEnd

extension DocumentDecoder {
    /// The recipients of an identity send: inline lists, then the CSV's columns, per kind; duplicates dropped.
    mutating func identity(_ fields: Fields, document: YAMLDocument, channel: Channel) -> IdentityDelivery? {
        guard let node = fields["audience"] else {
            checker.error(CampaignDiagnosticCode.missingField, "identity send has no `audience`", at: document.location,
                          hint: "list recipients, e.g. `audience: {email: [ana@example.com]}` or `audience: {file: recipients.csv}`")
            return nil
        }
        guard let audience = checker.fields(node, what: "`audience` of an identity send", allowed: CampaignFields.identityAudience,
                                            extraHints: CampaignFields.otherTypeHints(CampaignFields.segmentAudience, "filters a segment campaign; identity sends list recipients"))
        else { return nil }
        var collector = RecipientCollector()
        var failed = false
        for kind in RecipientKind.allCases {
            guard let listNode = audience[kind.rawValue] else { continue }
            guard let items = checker.list(listNode, field: kind.rawValue, of: "recipients") else {
                failed = true
                continue
            }
            for item in items {
                guard let scalar = item.scalar, !scalar.isNull, !scalar.value.isEmpty else {
                    checker.error(CampaignDiagnosticCode.wrongType, "a recipient must be a non-empty string, not \(Checker.describe(item))", at: item)
                    failed = true
                    continue
                }
                if !collector.add(scalar.value, kind: kind, at: item.location, checker: &checker) { failed = true }
            }
        }
        if let fileNode = audience["file"] {
            if !csv(fileNode, into: &collector) { failed = true }
        }
        collector.reportDuplicateSummary(checker: &checker)
        if failed { return nil }
        if collector.recipients.count == 0 {
            checker.error(CampaignDiagnosticCode.emptyAudience, "identity send has no recipients", at: node,
                          hint: "list `fbid`, `gpid`, `email`, `identity` or `objectid` values, or a CSV `file`")
            return nil
        }
        return IdentityDelivery(channel: channel, recipients: collector.recipients)
    }

    /// Reads the recipient CSV named by `node` (relative to the campaign file); false on any error.
    private mutating func csv(_ node: YAMLNode, into collector: inout RecipientCollector) -> Bool {
        guard let relative = checker.string(node, field: "file") else { return false }
        // Recipient files live inside the project: no absolute paths, no climbing out with `..` (links leading
        // out are refused by the reader, which resolves them).
        let inside = "recipient files must be inside the project folder (the folder holding project.yaml, or the campaign's folder without one)"
        if relative.hasPrefix("/") {
            checker.error(CampaignDiagnosticCode.resourceOutsideProject, "recipient file \(Quoting.code(relative, limit: 120)) is an absolute path", at: node,
                          hint: "give the path relative to the campaign file; " + inside)
            return false
        }
        if Self.climbsOut(relative, from: relativePath) {
            checker.error(CampaignDiagnosticCode.resourceOutsideProject, "recipient file \(Quoting.code(relative, limit: 120)) is outside the project folder", at: node,
                          hint: inside + "; the path is relative to the campaign file")
            return false
        }
        let path: String
        if let slash = file.lastIndex(of: "/") {
            path = String(file[...slash]) + relative
        } else {
            path = relative
        }
        let bytes: [UInt8]
        switch resources.read(path) {
        case .failure(let problem) where problem.code == CampaignDiagnosticCode.resourceOutsideProject:
            checker.error(CampaignDiagnosticCode.resourceOutsideProject, "recipient file \(Quoting.code(relative, limit: 120)) leads outside the project folder", at: node,
                          hint: inside + ", also through links")
            return false
        case .failure(let problem):
            checker.error(CampaignDiagnosticCode.csvProblem, "cannot read recipient file \(Quoting.code(relative, limit: 120)): \(problem.message)", at: node,
                          hint: "the path is relative to the campaign file")
            return false
        case .success(let data):
            bytes = data
        }
        loaded.append(SourceFile(path: path, bytes: bytes))
        let table: CSVTable
        switch CSVTable.parse(bytes) {
        case .success(let parsed):
            table = parsed
        case .failure(.invalidUTF8):
            checker.error(CampaignDiagnosticCode.csvProblem, "recipient file is not valid UTF-8", at: SourceLocation(file: path, line: 1, column: 1))
            return false
        case .failure(.unterminatedQuote(let line, let column)):
            checker.error(CampaignDiagnosticCode.csvProblem, "unterminated quoted field", at: SourceLocation(file: path, line: line, column: column))
            return false
        case .failure(.lineBreakInQuotes(let line, let column)):
            checker.error(CampaignDiagnosticCode.csvProblem, "line break inside a quoted cell", at: SourceLocation(file: path, line: line, column: column),
                          hint: "a recipient file lists one recipient per row: remove the line break from the cell")
            return false
        case .failure(.controlCharacter(let value, let line, let column)):
            var hex = String(value, radix: 16, uppercase: true)
            hex = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            checker.error(CampaignDiagnosticCode.csvProblem, "cell holds the control character U+\(hex)", at: SourceLocation(file: path, line: line, column: column),
                          hint: "recipient identifiers are printable text; remove the character (the file may be binary or damaged)")
            return false
        case .failure(.stray(let line, let column)):
            checker.error(CampaignDiagnosticCode.csvProblem, "stray `\"` in a field", at: SourceLocation(file: path, line: line, column: column),
                          hint: "quote the whole field and double the quote: \"say \"\"hi\"\"\"")
            return false
        }
        guard table.rowCount > 0 else {
            checker.error(CampaignDiagnosticCode.csvProblem, "recipient file is empty", at: SourceLocation(file: path, line: 1, column: 1),
                          hint: "the first line names the columns, e.g. `email,identity`")
            return false
        }
        var columns: [RecipientKind?] = []
        var failed = false
        for cell in table.row(0) {
            let name = cell.text.trimmingWhitespace().lowercased()
            if let kind = RecipientKind(rawValue: name) {
                if columns.contains(kind) {
                    checker.error(CampaignDiagnosticCode.csvProblem, "column \(Quoting.cell(name)) appears twice", at: SourceLocation(file: path, line: cell.line, column: cell.column))
                    failed = true
                }
                columns.append(kind)
            } else {
                let suggestion = Suggestions.closest(to: name, in: RecipientKind.allCases.map(\.rawValue))
                checker.error(CampaignDiagnosticCode.csvProblem, "unknown column \(Quoting.cell(cell.text))", at: SourceLocation(file: path, line: cell.line, column: cell.column),
                              hint: suggestion.map { "did you mean `\($0)`?" } ?? "columns are `fbid`, `gpid`, `email`, `identity`, `objectid`")
                columns.append(nil)
                failed = true
            }
        }
        if failed { return false }
        // Per kind, rows in order: the compiler takes kinds in a fixed order, each list in file order.
        for kind in RecipientKind.allCases {
            guard let columnIndex = columns.firstIndex(of: kind) else { continue }
            // Room for the column's filled cells at once: growing a million-entry list and table by doubling holds
            // the old and the new copy together.
            var filled = 0
            for rowIndex in 1..<table.rowCount {
                let row = table.row(rowIndex)
                if columnIndex < row.count, !row[row.startIndex + columnIndex].text.isEmpty { filled += 1 }
            }
            collector.reserve(filled, kind: kind)
            for rowIndex in 1..<table.rowCount {
                let row = table.row(rowIndex)
                if row.count > columns.count, let extra = row.dropFirst(columns.count).first(where: { !$0.text.isEmpty }) {
                    if kind == columns.compactMap({ $0 }).first {
                        checker.error(CampaignDiagnosticCode.csvProblem, "row has more fields than the header", at: SourceLocation(file: path, line: extra.line, column: extra.column))
                    }
                    failed = true
                    continue
                }
                guard columnIndex < row.count else { continue }
                let cell = row[row.startIndex + columnIndex]
                let value = cell.text.trimmingWhitespace()
                if value.isEmpty { continue }
                if !collector.add(value, kind: kind, at: SourceLocation(file: path, line: cell.line, column: cell.column), checker: &checker) {
                    failed = true
                }
            }
        }
        return !failed
    }

    /// Whether `relative` (a path relative to the campaign file) climbs above the project root, for a campaign file
    /// at `campaignPath` below the root.
    static func climbsOut(_ relative: String, from campaignPath: String) -> Bool {
        var depth = campaignPath.split(separator: "/", omittingEmptySubsequences: true).count - 1
        for part in relative.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                depth -= 1
                if depth < 0 { return true }
            } else {
                depth += 1
            }
        }
        return false
    }
}

/// Gathers recipients per kind, validating emails and dropping duplicates with a (bounded) warning each.
struct RecipientCollector {
    /// Per kind, the recipients in the order first listed (see ``RecipientIndex`` for why not a dictionary).
    private var indexes: [RecipientKind: RecipientIndex] = [:]
    private var duplicateWarnings = 0
    private var unreportedDuplicates = 0
    private var firstUnreported: SourceLocation?
    static let maxDuplicateWarnings = 20

    /// The recipients kept, per kind (a kind with none is absent).
    var recipients: Recipients {
        Recipients(lists: indexes.filter { $0.value.count > 0 }.mapValues(\.values))
    }

    /// Makes room for `more` recipients of `kind` (a CSV's rows) before they are added one by one.
    mutating func reserve(_ more: Int, kind: RecipientKind) {
        indexes[kind, default: RecipientIndex(ignoresCase: kind == .email)].reserve(more)
    }

    /// Adds a recipient; false if it is invalid (an error was reported).
    mutating func add(_ value: String, kind: RecipientKind, at location: SourceLocation, checker: inout Checker) -> Bool {
        if kind == .email, !Self.looksLikeEmail(value) {
            checker.error(CampaignDiagnosticCode.invalidEmail, "\(Quoting.cell(value)) is not an email address", at: location,
                          hint: "an address looks like `name@example.com`")
            return false
        }
        guard let first = indexes[kind, default: RecipientIndex(ignoresCase: kind == .email)].add(value, at: location) else { return true }
        if duplicateWarnings < Self.maxDuplicateWarnings {
            duplicateWarnings += 1
            checker.warning(CampaignDiagnosticCode.duplicateRecipient, "\(kind.rawValue) \(Quoting.cell(value)) is listed twice; sending once", at: location,
                            related: [RelatedLocation("first listed here", at: first)])
        } else {
            unreportedDuplicates += 1
            if firstUnreported == nil { firstUnreported = location }
        }
        return true
    }

    /// One warning for the duplicates beyond the first twenty.
    mutating func reportDuplicateSummary(checker: inout Checker) {
        guard unreportedDuplicates > 0, let location = firstUnreported else { return }
        checker.warning(CampaignDiagnosticCode.duplicateRecipient, "\(unreportedDuplicates) more duplicate recipients dropped", at: location)
        unreportedDuplicates = 0
    }

    /// `local@domain.tld`: one `@`, no spaces, a dot in the domain that neither starts nor ends it.
    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 3, text.count <= 254,
            !text.contains(where: { $0.isWhitespace || $0 == "," || $0 == ";" || $0 == "<" || $0 == ">" })
        else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("..")
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
