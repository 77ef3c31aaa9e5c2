/// Which records in state a plan may touch: those of the paths named on the command line. A record outside them is
/// never stopped, forgotten or moved; the plan only counts it as "not in scope".
public struct PlanScope: Sendable, Hashable {
    /// Per project (its identity), the files and folders planned, relative to the project's root; `""` is the whole
    /// project.
    public var paths: [String: [String]]
    /// Whether records that name no project (written before projects were recorded) are in scope: only when a
    /// single project is planned whole, since their files cannot be placed.
    public var includesUnplaced: Bool

    public init(paths: [String: [String]], includesUnplaced: Bool) {
        self.paths = paths
        self.includesUnplaced = includesUnplaced
    }

    /// Every record is in scope (one project planned whole).
    public static let everything = PlanScope(paths: [:], includesUnplaced: true, all: true)

    private var all = false
    private init(paths: [String: [String]], includesUnplaced: Bool, all: Bool) {
        self.paths = paths
        self.includesUnplaced = includesUnplaced
        self.all = all
    }

    /// Whether `record` lies under the paths planned.
    public func contains(_ record: StateRecord) -> Bool {
        if all { return true }
        guard let project = record.project else { return includesUnplaced }
        guard let planned = paths[project] else { return false }
        return planned.contains { path in
            path.isEmpty || record.file == path || record.file.hasPrefix(path.hasSuffix("/") ? path : path + "/")
        }
    }
}
