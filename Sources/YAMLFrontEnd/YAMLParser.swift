import CYAML
import Diagnostics

/// The YAML front end: runs libyaml's event parser over a file's bytes and builds documents whose every node
/// knows its file, line and column. Scalars stay strings; typing is the schema's job.
public enum YAMLParser {
    /// Parses `bytes` (UTF-8) as a YAML stream. Never traps: every problem comes back as a diagnostic.
    public static func parse(_ bytes: [UInt8], file: String, limits: YAMLLimits = YAMLLimits()) -> YAMLParseResult {
        if bytes.count > limits.maxFileSize {
            return YAMLParseResult(documents: [], diagnostics: [.error(
                YAMLDiagnosticCode.fileTooLarge,
                "file is \(bytes.count) bytes; the limit is \(limits.maxFileSize) bytes",
                at: SourceLocation(file: file, line: 1, column: 1),
                hint: "a campaign file should be a few kilobytes; split large recipient lists into CSV files")])
        }
        var builder = TreeBuilder(file: file, limits: limits, expectedBytes: bytes.count)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            builder.report(.error(YAMLDiagnosticCode.syntax, "could not start the YAML parser (out of memory)", at: nil))
            return YAMLParseResult(documents: [], diagnostics: builder.diagnostics)
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)

        let empty: [UInt8] = [0]
        let input = bytes.isEmpty ? empty : bytes
        input.withUnsafeBufferPointer { buffer in
            // libyaml reads through this pointer only while `buffer` is alive (the whole loop below).
            yaml_parser_set_input_string(&parser, buffer.baseAddress, bytes.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    builder.report(problem(of: parser, bytes: bytes, file: file))
                    break
                }
                let finished = handle(event, builder: &builder, file: file)
                yaml_event_delete(&event)
                if finished || builder.aborted { break }
            }
        }
        return YAMLParseResult(documents: builder.documents(), diagnostics: builder.diagnostics)
    }

    private static func location(_ mark: yaml_mark_t, file: String) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// Feeds one event to the builder; true at the end of the stream.
    private static func handle(_ event: yaml_event_t, builder: inout TreeBuilder, file: String) -> Bool {
        let line = Int32(clamping: event.start_mark.line + 1)
        let column = Int32(clamping: event.start_mark.column + 1)
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            builder.documentStart(line: line, column: column)
        case YAML_DOCUMENT_END_EVENT:
            builder.documentEnd()
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value: String
            if let pointer = data.value, data.length > 0 {
                value = String(decoding: UnsafeBufferPointer(start: pointer, count: Int(data.length)), as: UTF8.self)
            } else {
                value = ""
            }
            let style: ScalarStyle
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let tag = string(data.tag).flatMap { $0 == "!" ? nil : $0 }
            builder.scalar(value, style: style, tag: tag, anchor: string(data.anchor), line: line, column: column)
        case YAML_ALIAS_EVENT:
            builder.alias(string(event.data.alias.anchor) ?? "", line: line, column: column)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            builder.collectionStart(isMapping: false, tag: string(data.tag), anchor: string(data.anchor), line: line, column: column)
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            builder.collectionStart(isMapping: true, tag: string(data.tag), anchor: string(data.anchor), line: line, column: column)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            builder.collectionEnd()
        default:
            break
        }
        return false
    }

    /// The diagnostic for the error libyaml stopped on.
    private static func problem(of parser: yaml_parser_t, bytes: [UInt8], file: String) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown YAML error"
        switch parser.error {
        case YAML_READER_ERROR:
            var offset = min(parser.problem_offset, bytes.count)
            if problem.contains("trailing") {
                // libyaml points at the bad continuation byte; point at the character it belongs to.
                while offset > 0, bytes[offset - 1] & 0xC0 == 0x80 { offset -= 1 }
                if offset > 0, bytes[offset - 1] >= 0xC0 { offset -= 1 }
            }
            let at = locationOfByte(offset, in: bytes, file: file)
            var message = problem
            if problem.contains("UTF-8") || problem.contains("octet") {
                message = "invalid UTF-8: \(problem)"
            }
            return .error(
                YAMLDiagnosticCode.invalidText, message, at: at,
                hint: "save the file as UTF-8 text without control characters")
        case YAML_MEMORY_ERROR:
            return .error(YAMLDiagnosticCode.syntax, "out of memory while parsing", at: SourceLocation(file: file, line: 1, column: 1))
        default:
            let at = location(parser.problem_mark, file: file)
            var related: [RelatedLocation] = []
            if let context = parser.context.map({ String(cString: $0) }) {
                let contextAt = location(parser.context_mark, file: file)
                related.append(RelatedLocation(context, at: contextAt))
            }
            if let tab = TabIndentation.find(near: at, in: bytes) {
                return .error(
                    YAMLDiagnosticCode.tabIndentation, "tab character used for indentation", at: tab,
                    hint: "YAML indents with spaces only; replace the tab with spaces",
                    related: [RelatedLocation("libyaml: \(problem)", at: at)])
            }
            return .error(YAMLDiagnosticCode.syntax, problem, at: at, hint: hint(for: problem), related: related)
        }
    }

    private static func hint(for problem: String) -> String? {
        switch problem {
        case "mapping values are not allowed in this context":
            return "a value containing `: ` must be quoted, e.g. title: \"Sale: 20% off\""
        case "did not find expected key":
            return "check the indentation: keys of one mapping must start in the same column"
        case "found character that cannot start any token":
            return "a value starting with `@`, `` ` `` or `%` must be quoted"
        case "found undefined tag handle":
            return "only the `!!` handle is predefined; quote the value if `!` is meant literally"
        default:
            return nil
        }
    }

    /// Line and column (in characters) of byte `offset`; used for reader errors, where libyaml gives only an offset.
    static func locationOfByte(_ offset: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, bytes.count)
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return SourceLocation(file: file, line: line, column: column)
    }
}
