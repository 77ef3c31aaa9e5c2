/// One reviewable field of a resource's request, as its provider shows it to a reviewer: a path people recognise
/// (`content.title`, `schedule`) and a display value (`"Spring Sale"`, `2027-03-20 09:00 Europe/Berlin`, `[android,
/// ios]`). The provider decides which fields there are and how values read; the engine only compares the text.
///
/// State keeps a record's fields as they were when its request last took effect (``StateRecord/fields``), so a later
/// plan can say what changed, field by field. They are explanation only: no decision of the planner reads them.
public struct ResourceField: Sendable, Hashable {
    public var path: String
    public var value: String

    public init(_ path: String, _ value: String) {
        self.path = path
        self.value = value
    }
}

/// One field that differs between the request last applied and the one the files make now.
public struct FieldChange: Sendable, Hashable {
    public var path: String
    /// The value last applied; nil when the field is new.
    public var old: String?
    /// The value the files give now; nil when the field is gone.
    public var new: String?

    public init(path: String, old: String?, new: String?) {
        self.path = path
        self.old = old
        self.new = new
    }

    /// `~` changed, `+` added, `-` removed (Terraform's marks).
    public var mark: String { old == nil ? "+" : new == nil ? "-" : "~" }
}

/// What a plan can say about how a changed resource's request differs from the one last applied.
public enum FieldDiff: Sendable, Hashable {
    /// The fields that differ, in the order the provider gives them (fields gone last). Empty when no reviewable
    /// field differs (the request changed in something the provider does not show).
    case changed([FieldChange])
    /// The record was written before fields were recorded (an older version of campaign, or an older record): there
    /// is nothing to compare with, and nothing is guessed.
    case notRecorded

    /// The difference between the fields last applied (`old`; nil: never recorded) and `new`.
    public static func between(_ old: [ResourceField]?, _ new: [ResourceField]) -> FieldDiff {
        guard let old else { return .notRecorded }
        var before: [String: String] = [:]
        before.reserveCapacity(old.count)
        for field in old where before[field.path] == nil { before[field.path] = field.value }
        var changes: [FieldChange] = []
        var seen = Set<String>()
        for field in new where seen.insert(field.path).inserted {
            let was = before[field.path]
            if was != field.value { changes.append(FieldChange(path: field.path, old: was, new: field.value)) }
        }
        for field in old where seen.insert(field.path).inserted {
            changes.append(FieldChange(path: field.path, old: field.value, new: nil))
        }
        return .changed(changes)
    }

    /// The changes (none when not recorded).
    public var changes: [FieldChange] {
        if case .changed(let changes) = self { return changes }
        return []
    }

    /// What a plan says when the fields last applied are not recorded.
    public static let notRecordedNote = "fields not recorded before this version: the request last applied cannot be compared field by field"
    /// What a plan says when the request changed in nothing the provider shows.
    public static let noFieldNote = "no reviewable field differs: the request changed in a part not shown"
}
