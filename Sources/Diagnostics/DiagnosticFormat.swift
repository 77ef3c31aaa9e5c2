import JSON

/// The output formats for diagnostics.
public enum DiagnosticFormat: String, Sendable, CaseIterable {
    /// `path:line:col: error[CODE]: message`, the source line and a caret; colour only on a terminal.
    case text
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`) that annotate a pull request.
    case github
    /// A JSON array, one object per diagnostic.
    case json
}

/// Renders diagnostics in one of the ``DiagnosticFormat``s.
public struct DiagnosticRenderer: Sendable {
    public var format: DiagnosticFormat
    /// ANSI colours (text format only).
    public var colors: Bool
    /// Source text for the line-and-caret excerpt (text format only).
    public var sources: SourceText

    public init(format: DiagnosticFormat, colors: Bool = false, sources: SourceText = SourceText()) {
        self.format = format
        self.colors = colors
        self.sources = sources
    }

    /// The rendered diagnostics, ending with a newline unless empty (JSON always renders an array).
    public func render(_ diagnostics: [Diagnostic]) -> String {
        switch format {
        case .text: return diagnostics.map(renderText).joined()
        case .github: return diagnostics.map(renderGitHub).joined()
        case .json: return JSONWriter(indent: 2).string(.array(diagnostics.map(Self.json))) + "\n"
        }
    }

    // MARK: text

    private func paint(_ text: String, _ code: String) -> String {
        colors ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func severityLabel(_ severity: Severity, code: DiagnosticCode?) -> String {
        let name = code.map { "\(severity.rawValue)[\($0.rawValue)]" } ?? severity.rawValue
        switch severity {
        case .error: return paint(name, "1;31")
        case .warning: return paint(name, "1;33")
        case .note: return paint(name, "1;36")
        }
    }

    /// `file:line:column` with the file name's control characters escaped: a file named `a\nb.yaml`, or holding
    /// an escape sequence, can neither start a line of its own nor reach the terminal (or a CI log) raw.
    static func place(_ location: SourceLocation) -> String {
        "\(Quoting.sanitize(location.file, limit: 4096)):\(location.line):\(location.column)"
    }

    private func renderText(_ diagnostic: Diagnostic) -> String {
        var out = ""
        if let location = diagnostic.location {
            out += paint("\(Self.place(location)):", "1") + " "
        } else {
            out += "campaign: "
        }
        out += severityLabel(diagnostic.severity, code: diagnostic.code) + ": "
        out += paint(diagnostic.message, "1") + "\n"
        if let location = diagnostic.location {
            out += excerpt(at: location)
        }
        if let hint = diagnostic.hint {
            out += "  " + paint("hint:", "1;36") + " " + hint + "\n"
        }
        for related in diagnostic.related {
            out += paint("\(Self.place(related.location)):", "1") + " " + severityLabel(.note, code: nil) + ": " + related.message + "\n"
            out += excerpt(at: related.location)
        }
        return out
    }

    /// The source line (sanitised and, if long, cut around the column) and a caret under the column.
    private func excerpt(at location: SourceLocation) -> String {
        guard let line = sources.line(location.line, of: location.file) else { return "" }
        let characters = Array(line)
        let column = max(1, location.column)
        // Keep at most 120 characters, centred on the column when the line is longer.
        var start = 0
        if characters.count > 120 {
            start = max(0, min(column - 60, characters.count - 120))
        }
        let end = min(characters.count, start + 120)
        var shown = ""
        var pad = ""
        if start > 0 {
            shown += "…"
            pad += " "
        }
        for index in start..<max(start, end) {
            let character = characters[index]
            let visible: String
            if character == "\t" {
                visible = "\t"
            } else if character.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
                visible = "\u{FFFD}"
            } else {
                visible = String(character)
            }
            shown += visible
            if index < column - 1 { pad += visible == "\t" ? "\t" : " " }
        }
        if end < characters.count { shown += "…" }
        let gutter = String(location.line)
        let blank = String(repeating: " ", count: gutter.count)
        return " \(paint(gutter, "34")) \(paint("|", "34")) \(shown)\n \(blank) \(paint("|", "34")) \(pad)\(paint("^", "1;32"))\n"
    }

    // MARK: GitHub Actions

    /// Escapes `text` for a workflow command; properties also escape `:` and `,`.
    private static func escape(_ text: String, property: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            case ":" where property: out += "%3A"
            case "," where property: out += "%2C"
            default:
                // Other control characters (an escape sequence) would reach the log raw: escaped as in messages.
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += Quoting.sanitize(String(scalar))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private static func escapeData(_ text: String) -> String { escape(text, property: false) }

    private static func escapeProperty(_ text: String) -> String { escape(text, property: true) }

    private func renderGitHub(_ diagnostic: Diagnostic) -> String {
        let command: String
        switch diagnostic.severity {
        case .error: command = "error"
        case .warning: command = "warning"
        case .note: command = "notice"
        }
        var properties: [String] = []
        if let location = diagnostic.location {
            properties.append("file=\(Self.escapeProperty(Quoting.sanitize(location.file, limit: 4096)))")
            properties.append("line=\(location.line)")
            properties.append("col=\(location.column)")
        }
        properties.append("title=\(Self.escapeProperty(diagnostic.code.rawValue))")
        var message = "[\(diagnostic.code.rawValue)] \(diagnostic.message)"
        if let hint = diagnostic.hint { message += "\nhint: \(hint)" }
        for related in diagnostic.related { message += "\nnote: \(related.message) (\(Self.place(related.location)))" }
        return "::\(command) \(properties.joined(separator: ","))::\(Self.escapeData(message))\n"
    }

    // MARK: JSON

    private static func json(_ location: SourceLocation) -> [(String, JSONValue)] {
        [("file", .string(location.file)), ("line", .int(location.line)), ("column", .int(location.column))]
    }

    /// The JSON object for one diagnostic. File names are kept exact (JSON escapes their control characters), so
    /// tools can match them; only the text and GitHub formats show them escaped.
    public static func json(_ diagnostic: Diagnostic) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("severity", .string(diagnostic.severity.rawValue)),
            ("code", .string(diagnostic.code.rawValue)),
            ("message", .string(diagnostic.message)),
        ]
        if let location = diagnostic.location { members += json(location) }
        if let hint = diagnostic.hint { members.append(("hint", .string(hint))) }
        if !diagnostic.related.isEmpty {
            members.append(("related", .array(diagnostic.related.map { .object([("message", .string($0.message))] + json($0.location)) })))
        }
        return .object(members)
    }
}
