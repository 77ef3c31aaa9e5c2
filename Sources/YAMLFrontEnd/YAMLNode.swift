import Diagnostics

/// How a scalar was written. Typing is left to the schema, so the style is kept: a quoted `"yes"` and a plain
/// `yes` are both the string "yes" here, and the schema decides what each may mean.
public enum ScalarStyle: String, Sendable, Hashable {
    case plain
    case singleQuoted
    case doubleQuoted
    case literal
    case folded

    /// True for every style except plain: the author asked for a string.
    public var isQuotedOrBlock: Bool { self != .plain }
}

/// A scalar exactly as written (after YAML's own unescaping and folding), with its style and explicit tag.
public struct YAMLScalar: Sendable, Hashable {
    public var value: String
    public var style: ScalarStyle
    /// The resolved explicit tag (for example `tag:yaml.org,2002:str` for `!!str`), or nil when untagged.
    public var tag: String?

    public init(_ value: String, style: ScalarStyle = .plain, tag: String? = nil) {
        self.value = value
        self.style = style
        self.tag = tag
    }

    /// True for an untagged plain scalar that YAML 1.2's core schema reads as null: empty, `~`, `null`, `Null`, `NULL`.
    public var isNull: Bool {
        guard style == .plain, tag == nil else { return tag == "tag:yaml.org,2002:null" }
        switch value {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }
}

/// One key and its value in a mapping.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A node of a YAML document: a scalar, a sequence or a mapping, and where it starts. Immutable; a class so that
/// sharing a subtree (aliases, defaults merged into many campaigns) costs one reference, not a deep copy.
public final class YAMLNode: Sendable {
    /// What the node holds.
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        /// Pairs in written order, merge keys (`<<`) already applied, duplicates reported and dropped.
        case mapping([YAMLPair])
    }

    public let content: Content
    /// Where the node starts (for a block mapping, its first key).
    public let location: SourceLocation
    /// The explicit tag of a collection, if any (scalars keep theirs in ``YAMLScalar/tag``).
    public let tag: String?

    public init(_ content: Content, at location: SourceLocation, tag: String? = nil) {
        self.content = content
        self.location = location
        self.tag = tag
    }

    /// The scalar, if this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    /// The items, if this node is a sequence.
    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The pairs, if this node is a mapping.
    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// True for a null scalar (see ``YAMLScalar/isNull``).
    public var isNull: Bool { scalar?.isNull ?? false }

    /// A word for the node's kind, for messages: "a string", "a list", "a mapping", "null".
    public var kindDescription: String {
        switch content {
        case .scalar(let s): return s.isNull ? "null" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The value of the first pair whose key is the scalar `key`.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first(where: { $0.key.scalar?.value == key })?.value
    }
}

/// One document of a stream.
public struct YAMLDocument: Sendable {
    /// The root node (an empty document holds a null scalar).
    public var root: YAMLNode
    /// Where the document starts.
    public var location: SourceLocation

    public init(root: YAMLNode, location: SourceLocation) {
        self.root = root
        self.location = location
    }
}

/// What parsing one file produced: the documents that were complete, and every problem found.
public struct YAMLParseResult: Sendable {
    public var documents: [YAMLDocument]
    public var diagnostics: [Diagnostic]

    /// True when parsing reported an error: the documents may then be incomplete and should not be used.
    public var hasErrors: Bool { diagnostics.containsErrors }
}
