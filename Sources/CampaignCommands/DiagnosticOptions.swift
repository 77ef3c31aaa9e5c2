import ArgumentParser
import Diagnostics
import Foundation

extension DiagnosticFormat: ExpressibleByArgument {}

/// When to colour text output.
enum ColorMode: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// Options shared by commands that print diagnostics.
struct DiagnosticOptions: ParsableArguments {
    @Option(help: "Diagnostics format: text, github (GitHub Actions annotations) or json.")
    var format: DiagnosticFormat = .text

    @Option(help: "Colour text output: auto (only on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorMode = .auto

    @Flag(help: "Treat warnings as errors.")
    var warningsAsErrors = false

    /// The printer these options describe.
    var printer: DiagnosticPrinter { DiagnosticPrinter(format: format, color: color, warningsAsErrors: warningsAsErrors) }

    /// Writes `diagnostics` to standard error in the chosen format and returns whether the run failed.
    func emit(_ diagnostics: [Diagnostic], sources: SourceText, summary: String?) -> Bool {
        printer.emit(diagnostics, sources: sources, summary: summary)
    }

    static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }
}

/// Prints diagnostics to standard error.
struct DiagnosticPrinter {
    var format: DiagnosticFormat = .text
    var color: ColorMode = .auto
    var warningsAsErrors = false

    /// Whether to colour text written to standard error.
    var useColors: Bool {
        switch color {
        case .always: return true
        case .never: return false
        case .auto:
            let env = ProcessInfo.processInfo.environment
            return isatty(STDERR_FILENO) != 0 && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
        }
    }

    /// Writes `diagnostics` to standard error in the chosen format and returns whether the run failed.
    func emit(_ diagnostics: [Diagnostic], sources: SourceText, summary: String?) -> Bool {
        var list = diagnostics.sortedForOutput()
        if warningsAsErrors {
            list = list.map { d in
                var d = d
                if d.severity == .warning { d.severity = .error }
                return d
            }
        }
        let renderer = DiagnosticRenderer(format: format, colors: format == .text && useColors, sources: sources)
        var text = renderer.render(list)
        if format == .text, let summary {
            let errors = list.filter { $0.severity == .error }.count
            let warnings = list.filter { $0.severity == .warning }.count
            text += "\(summary): \(DiagnosticOptions.count(errors, "error")), \(DiagnosticOptions.count(warnings, "warning"))\n"
        }
        StandardStreams.err(Array(text.utf8))
        return list.containsErrors
    }
}
