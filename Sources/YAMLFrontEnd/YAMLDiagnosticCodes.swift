import Diagnostics

/// Stable codes of the YAML front end's diagnostics.
public enum YAMLDiagnosticCode {
    /// YAML syntax error reported by libyaml.
    public static let syntax: DiagnosticCode = "Y001"
    /// The same key twice in one mapping.
    public static let duplicateKey: DiagnosticCode = "Y002"
    /// A tab character used for indentation.
    public static let tabIndentation: DiagnosticCode = "Y003"
    /// Invalid UTF-8, or a character YAML does not allow.
    public static let invalidText: DiagnosticCode = "Y004"
    /// Nesting deeper than ``YAMLLimits/maxDepth``.
    public static let tooDeep: DiagnosticCode = "Y005"
    /// Aliases expanding past ``YAMLLimits/maxAliasExpansion`` nodes.
    public static let aliasExpansion: DiagnosticCode = "Y006"
    /// An alias whose anchor is not defined before it in the document.
    public static let undefinedAlias: DiagnosticCode = "Y007"
    /// A merge key (`<<`) whose value is not a mapping or a list of mappings.
    public static let invalidMerge: DiagnosticCode = "Y008"
    /// A file larger than ``YAMLLimits/maxFileSize``.
    public static let fileTooLarge: DiagnosticCode = "Y009"
}
