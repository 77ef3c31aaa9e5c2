/// Which records in state a plan may touch: those of the paths named on the command line. A record outside them is
/// never stopped, forgotten or moved; the plan only counts it as "not in scope".
public struct PlanScope: Sendable {
    /// Per project (its identity), the files and folders planned, relative to the project's root; `""` is the whole
    /// project.
    public var paths: [String: [String]]
    /// Places a record that names no project (written before projects were recorded; its `file` is the path as it
    /// was named then): the project and the file relative to its root, when the path lies inside a project planned
    /// now. A record that cannot be placed is out of scope — never stopped or forgotten by a guess.
    public var place: @Sendable (String) -> (project: String, file: String)?

    public init(paths: [String: [String]], place: @escaping @Sendable (String) -> (project: String, file: String)? = { _ in nil }) {
        self.paths = paths
        self.place = place
        self.all = false
    }

    /// Every record is in scope (tests of the planner alone).
    public static let everything = PlanScope(all: true)

    private var all: Bool
    private init(all: Bool) {
        self.paths = [:]
        self.place = { _ in nil }
        self.all = all
    }

    /// Whether `record` lies under the paths planned.
    public func contains(_ record: StateRecord) -> Bool {
        if all { return true }
        let project: String
        let file: String
        if let recorded = record.project {
            (project, file) = (recorded, record.file)
        } else if let placed = place(record.file) {
            (project, file) = placed
        } else {
            return false
        }
        guard let planned = paths[project] else { return false }
        return planned.contains { path in
            path.isEmpty || file == path || file.hasPrefix(path.hasSuffix("/") ? path : path + "/")
        }
    }
}
