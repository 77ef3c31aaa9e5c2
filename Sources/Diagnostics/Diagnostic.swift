/// How serious a diagnostic is. Only errors make a command fail.
public enum Severity: String, Sendable, Hashable, Codable, Comparable {
    case error
    case warning
    case note

    private var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .note: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A stable identifier for a kind of problem, such as `Y002`. Codes never change meaning once released;
/// `docs/LANGUAGE.md` lists them all.
public struct DiagnosticCode: RawRepresentable, Sendable, Hashable, Comparable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: DiagnosticCode, rhs: DiagnosticCode) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A second place that a diagnostic refers to, such as the first definition of a duplicated key.
public struct RelatedLocation: Sendable, Hashable {
    /// What this place is, e.g. "first defined here".
    public var message: String
    /// Where it is.
    public var location: SourceLocation

    public init(_ message: String, at location: SourceLocation) {
        self.message = message
        self.location = location
    }
}

/// One problem found in the user's input: a code, a severity, a message, where, and how to fix it.
public struct Diagnostic: Sendable, Hashable {
    public var severity: Severity
    public var code: DiagnosticCode
    public var message: String
    /// Where the problem is; nil for problems that belong to no file (for example a missing path).
    public var location: SourceLocation?
    /// A suggestion that helps fix the problem, e.g. "did you mean `schedule`?".
    public var hint: String?
    /// Other places involved.
    public var related: [RelatedLocation]

    public init(
        _ severity: Severity,
        _ code: DiagnosticCode,
        _ message: String,
        at location: SourceLocation?,
        hint: String? = nil,
        related: [RelatedLocation] = []
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
        self.related = related
    }

    /// An error diagnostic.
    public static func error(
        _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, hint: String? = nil,
        related: [RelatedLocation] = []
    ) -> Diagnostic {
        Diagnostic(.error, code, message, at: location, hint: hint, related: related)
    }

    /// A warning diagnostic.
    public static func warning(
        _ code: DiagnosticCode, _ message: String, at location: SourceLocation?, hint: String? = nil,
        related: [RelatedLocation] = []
    ) -> Diagnostic {
        Diagnostic(.warning, code, message, at: location, hint: hint, related: related)
    }
}

extension Sequence where Element == Diagnostic {
    /// True when any element is an error.
    public var containsErrors: Bool { contains { $0.severity == .error } }

    /// Diagnostics in a stable order: by file, line, column, then severity and code. Ones without a location come first.
    public func sortedForOutput() -> [Diagnostic] {
        sorted { a, b in
            switch (a.location, b.location) {
            case (nil, .some): return true
            case (.some, nil): return false
            case let (.some(la), .some(lb)) where la != lb: return la < lb
            default:
                if a.severity != b.severity { return a.severity < b.severity }
                if a.code != b.code { return a.code < b.code }
                return a.message < b.message
            }
        }
    }
}

/// A diagnostic can be thrown where a single problem ends an operation.
extension Diagnostic: Error {}
