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
    /// A `project.yaml` inside another project: a file belongs to one project, so its key never depends on the path
    /// named on the command line.
    public static let nestedProject: DiagnosticCode = "F006"
    /// A file that looks like a campaign but is not read (hidden, or `*.YAML`): a warning.
    public static let passedOver: DiagnosticCode = "F007"
    /// Deploy commands need a project root (`project.yaml`): keys and the default state are anchored there.
    public static let noProject: DiagnosticCode = "F008"
    /// Two outputs would be written to one file (or one output's file is a folder another needs).
    public static let outputCollision: DiagnosticCode = "F009"
    /// An output would be written outside its output folder (a `..` part, or a link leading out of the folder).
    public static let outsideOutputFolder: DiagnosticCode = "F010"
}
