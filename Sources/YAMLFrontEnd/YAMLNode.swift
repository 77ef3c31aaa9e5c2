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

/// A node of a YAML document: a scalar, a sequence or a mapping, and where it starts. Immutable.
///
/// Nodes the parser produces live in their file's ``YAMLTree`` (a few flat arrays, so a file of hundreds of
/// nodes costs a handful of allocations, not hundreds); a node is a reference to the tree and an index. Nodes
/// put together later (defaults merged under a campaign) are stored on their own and may mix nodes of several
/// files. Either way, sharing a subtree (aliases, defaults merged into many campaigns) costs one reference.
public struct YAMLNode: Sendable {
    /// What the node holds.
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence(YAMLSequence)
        /// Pairs in written order, merge keys (`<<`) already applied, duplicates reported and dropped.
        case mapping(YAMLMapping)
    }

    private enum Storage: Sendable {
        case tree(YAMLTree, Int32)
        case built(Built)
    }

    /// A node made with ``init(_:at:tag:)``.
    private final class Built: Sendable {
        let content: Content
        let location: SourceLocation
        let tag: String?

        init(content: Content, location: SourceLocation, tag: String?) {
            self.content = content
            self.location = location
            self.tag = tag
        }
    }

    private let storage: Storage

    /// A node holding `content`, starting at `location`; `tag` is a collection's explicit tag.
    public init(_ content: Content, at location: SourceLocation, tag: String? = nil) {
        storage = .built(Built(content: content, location: location, tag: tag))
    }

    init(tree: YAMLTree, id: Int32) {
        storage = .tree(tree, id)
    }

    /// What the node holds.
    public var content: Content {
        switch storage {
        case .built(let node): return node.content
        case .tree(let tree, let id):
            let record = tree.records[Int(id)]
            switch record.kind {
            case .scalar: return .scalar(tree.scalar(record))
            case .sequence: return .sequence(YAMLSequence(tree: tree, start: record.start, count: record.count))
            case .mapping: return .mapping(YAMLMapping(tree: tree, start: record.start, count: record.count))
            }
        }
    }

    /// Where the node starts (for a block mapping, its first key).
    public var location: SourceLocation {
        switch storage {
        case .built(let node): return node.location
        case .tree(let tree, let id):
            let record = tree.records[Int(id)]
            return SourceLocation(file: tree.file, line: Int(record.line), column: Int(record.column))
        }
    }

    /// The explicit tag of a collection, if any (scalars keep theirs in ``YAMLScalar/tag``).
    public var tag: String? {
        switch storage {
        case .built(let node): return node.tag
        case .tree(let tree, let id):
            let record = tree.records[Int(id)]
            return record.kind == .scalar ? nil : tree.tag(record)
        }
    }

    /// The scalar, if this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The items, if this node is a sequence.
    public var sequence: YAMLSequence? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The pairs, if this node is a mapping.
    public var mapping: YAMLMapping? {
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

/// The items of a sequence node.
public struct YAMLSequence: RandomAccessCollection, Sendable {
    private enum Base: Sendable {
        case tree(YAMLTree, start: Int32)
        case nodes([YAMLNode])
    }

    private let base: Base
    public let count: Int

    /// A sequence of `nodes`.
    public init(_ nodes: [YAMLNode]) {
        base = .nodes(nodes)
        count = nodes.count
    }

    init(tree: YAMLTree, start: Int32, count: Int32) {
        base = .tree(tree, start: start)
        self.count = Int(count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> YAMLNode {
        precondition(position >= 0 && position < count, "index out of range")
        switch base {
        case .nodes(let nodes): return nodes[position]
        case .tree(let tree, let start): return YAMLNode(tree: tree, id: tree.links[Int(start) + position])
        }
    }
}

/// The pairs of a mapping node, in written order.
public struct YAMLMapping: RandomAccessCollection, Sendable {
    private enum Base: Sendable {
        case tree(YAMLTree, start: Int32)
        case pairs([YAMLPair])
    }

    private let base: Base
    public let count: Int

    /// A mapping of `pairs` (kept in this order).
    public init(_ pairs: [YAMLPair]) {
        base = .pairs(pairs)
        count = pairs.count
    }

    init(tree: YAMLTree, start: Int32, count: Int32) {
        base = .tree(tree, start: start)
        self.count = Int(count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> YAMLPair {
        precondition(position >= 0 && position < count, "index out of range")
        switch base {
        case .pairs(let pairs): return pairs[position]
        case .tree(let tree, let start):
            let link = Int(start) + 2 * position
            return YAMLPair(key: YAMLNode(tree: tree, id: tree.links[link]), value: YAMLNode(tree: tree, id: tree.links[link + 1]))
        }
    }
}

/// The nodes of one parsed file in flat arrays: a record per node, the child lists of collections, scalar values
/// and tags. Immutable once built; ``YAMLNode``s refer to it by index.
public final class YAMLTree: Sendable {
    enum Kind: UInt8, Sendable {
        case scalar, sequence, mapping
    }

    struct Record: Sendable {
        var kind: Kind
        var style: ScalarStyle
        var line: Int32
        var column: Int32
        /// Index into `tags`, or -1.
        var tag: Int32
        /// A scalar's index into `values`; a collection's first index into `links`.
        var start: Int32
        /// A sequence's items or a mapping's pairs (each two links: key, value).
        var count: Int32
    }

    let file: String
    let records: [Record]
    let links: [Int32]
    let values: [String]
    let tags: [String]

    init(file: String, records: [Record], links: [Int32], values: [String], tags: [String]) {
        self.file = file
        self.records = records
        self.links = links
        self.values = values
        self.tags = tags
    }

    func tag(_ record: Record) -> String? {
        record.tag < 0 ? nil : tags[Int(record.tag)]
    }

    func scalar(_ record: Record) -> YAMLScalar {
        YAMLScalar(values[Int(record.start)], style: record.style, tag: tag(record))
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
