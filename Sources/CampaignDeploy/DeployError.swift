/// A problem that stops a plan, apply or state command, with a stable code.
public struct DeployError: Error, Sendable, CustomStringConvertible {
    /// `S…` codes: state, locks, saved plans.
    public var code: String
    public var message: String
    public var hint: String?

    public init(_ code: String, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String { message + (hint.map { " (\($0))" } ?? "") }
}
