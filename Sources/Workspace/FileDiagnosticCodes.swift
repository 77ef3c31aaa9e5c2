import Diagnostics

/// Stable codes for problems with paths and files themselves.
public enum FileDiagnosticCode {
    /// A path named on the command line does not exist.
    public static let notFound: DiagnosticCode = "F001"
    /// A file could not be read (permissions, not a regular file, I/O error).
    public static let unreadable: DiagnosticCode = "F002"
    /// A folder named on the command line holds no `*.yaml` / `*.yml` file.
    public static let noFiles: DiagnosticCode = "F003"
    /// A file is larger than the limit.
    public static let tooLarge: DiagnosticCode = "F004"
}

extension FileDiagnosticCode {
    /// An output file or folder could not be written.
    public static let unwritable: DiagnosticCode = "F005"
    /// Two outputs would be written to one file (or one output's file is a folder another needs).
    public static let outputCollision: DiagnosticCode = "F006"
    /// An output would be written outside its output folder (a `..` part, or a link leading out of the folder).
    public static let outsideOutputFolder: DiagnosticCode = "F007"
}
