import Diagnostics

/// Builds ``YAMLNode`` trees from parser events with an explicit stack (no recursion, so depth cannot
/// overflow the call stack), resolving aliases and merge keys and reporting duplicate keys.
struct TreeBuilder {
    private struct Collection {
        var isMapping: Bool
        var location: SourceLocation
        var tag: String?
        var anchor: String?
        /// Sequence items.
        var items: [YAMLNode] = []
        /// Mapping pairs so far, duplicates dropped, merge keys not yet applied.
        var pairs: [YAMLPair] = []
        /// A mapping's key waiting for its value.
        var pendingKey: YAMLNode?
        /// Merge keys (`<<`) and where among `pairs` they stood.
        var merges: [(index: Int, value: YAMLNode)] = []
        /// Keys with where each was first seen, once a mapping has too many for a linear scan.
        var keyIndex: [String: SourceLocation]?
        /// Node count including alias expansions (saturating).
        var weight = 1
    }

    private struct Anchored {
        var node: YAMLNode
        var weight: Int
    }

    let file: String
    let limits: YAMLLimits
    private(set) var documents: [YAMLDocument] = []
    private(set) var diagnostics: [Diagnostic] = []
    /// Set after an error that makes the rest of the input meaningless (limits); parsing stops.
    private(set) var aborted = false

    private var stack: [Collection] = []
    private var anchors: [String: Anchored] = [:]
    private var expanded = 0
    private var documentLocation: SourceLocation
    private var root: YAMLNode?

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
        self.documentLocation = SourceLocation(file: file, line: 1, column: 1)
    }

    mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    // MARK: events

    mutating func documentStart(at location: SourceLocation) {
        anchors.removeAll(keepingCapacity: true)
        expanded = 0
        stack.removeAll(keepingCapacity: true)
        root = nil
        documentLocation = location
    }

    mutating func documentEnd() {
        let node = root ?? YAMLNode(.scalar(YAMLScalar("")), at: documentLocation)
        documents.append(YAMLDocument(root: node, location: documentLocation))
        root = nil
    }

    mutating func scalar(_ scalar: YAMLScalar, anchor: String?, at location: SourceLocation) {
        attach(YAMLNode(.scalar(scalar), at: location), weight: 1, anchor: anchor)
    }

    mutating func alias(_ name: String, at location: SourceLocation) {
        guard let anchored = anchors[name] else {
            report(.error(
                YAMLDiagnosticCode.undefinedAlias, "undefined alias \(Quoting.code("*" + name))", at: location,
                hint: "an anchor (`&\(Quoting.sanitize(name, limit: 40))`) must be defined earlier in the same document"))
            attach(YAMLNode(.scalar(YAMLScalar("")), at: location), weight: 1, anchor: nil)
            return
        }
        let (sum, overflow) = expanded.addingReportingOverflow(anchored.weight)
        expanded = overflow ? Int.max : sum
        if expanded > limits.maxAliasExpansion {
            report(.error(
                YAMLDiagnosticCode.aliasExpansion,
                "aliases expand this document to more than \(limits.maxAliasExpansion) nodes",
                at: location,
                hint: "this looks like an alias bomb (\"billion laughs\"); aliases are expanded, so nest them less"))
            aborted = true
            return
        }
        attach(anchored.node, weight: anchored.weight, anchor: nil)
    }

    mutating func collectionStart(isMapping: Bool, tag: String?, anchor: String?, at location: SourceLocation) {
        if stack.count >= limits.maxDepth {
            report(.error(
                YAMLDiagnosticCode.tooDeep, "nesting is deeper than \(limits.maxDepth) levels", at: location,
                hint: "campaign files never need this much nesting"))
            aborted = true
            return
        }
        stack.append(Collection(isMapping: isMapping, location: location, tag: tag, anchor: anchor))
    }

    mutating func collectionEnd() {
        guard var collection = stack.popLast() else { return }
        let node: YAMLNode
        if collection.isMapping {
            if let key = collection.pendingKey {
                // Cannot happen with libyaml (a mapping always ends after a value), but never lose a key.
                if let duplicate = Self.addPair(key: key, value: YAMLNode(.scalar(YAMLScalar("")), at: key.location), to: &collection) {
                    report(duplicate)
                }
            }
            node = YAMLNode(.mapping(applyMerges(collection)), at: collection.location, tag: collection.tag)
        } else {
            node = YAMLNode(.sequence(collection.items), at: collection.location, tag: collection.tag)
        }
        attach(node, weight: collection.weight, anchor: collection.anchor)
    }

    // MARK: building

    private mutating func attach(_ node: YAMLNode, weight: Int, anchor: String?) {
        if let anchor {
            anchors[anchor] = Anchored(node: node, weight: weight)
        }
        guard !stack.isEmpty else {
            root = node
            return
        }
        let top = stack.count - 1
        let (sum, overflow) = stack[top].weight.addingReportingOverflow(weight)
        stack[top].weight = overflow ? Int.max : sum
        guard stack[top].isMapping else {
            stack[top].items.append(node)
            return
        }
        guard let key = stack[top].pendingKey else {
            stack[top].pendingKey = node
            return
        }
        stack[top].pendingKey = nil
        if let duplicate = Self.addPair(key: key, value: node, to: &stack[top]) { report(duplicate) }
    }

    private static func isMergeKey(_ node: YAMLNode) -> Bool {
        guard let scalar = node.scalar, scalar.value == "<<" else { return false }
        return (scalar.style == .plain && scalar.tag == nil) || scalar.tag == "tag:yaml.org,2002:merge"
    }

    /// Adds a completed pair to a mapping: a merge key is set aside, a duplicate key is reported (the first wins).
    /// Returns the duplicate-key error, if it is one.
    private static func addPair(key: YAMLNode, value: YAMLNode, to collection: inout Collection) -> Diagnostic? {
        if isMergeKey(key) {
            collection.merges.append((collection.pairs.count, value))
            return nil
        }
        if let name = key.scalar?.value {
            if let first = firstLocation(of: name, in: collection) {
                return .error(
                    YAMLDiagnosticCode.duplicateKey, "duplicate key \(Quoting.code(name))", at: key.location,
                    hint: "a key may appear once in a mapping; remove or rename one of them",
                    related: [RelatedLocation("first defined here", at: first)])
            }
            if collection.keyIndex != nil {
                collection.keyIndex?[name] = key.location
            } else if collection.pairs.count >= linearScanLimit {
                var index: [String: SourceLocation] = [:]
                for pair in collection.pairs {
                    if let existing = pair.key.scalar?.value, index[existing] == nil { index[existing] = pair.key.location }
                }
                index[name] = key.location
                collection.keyIndex = index
            }
        }
        collection.pairs.append(YAMLPair(key: key, value: value))
        return nil
    }

    /// Mappings up to this many keys find duplicates by scanning their pairs; larger ones keep a dictionary.
    private static let linearScanLimit = 16

    /// Where the scalar key `name` was first used in `collection`, if it was.
    private static func firstLocation(of name: String, in collection: Collection) -> SourceLocation? {
        if let index = collection.keyIndex { return index[name] }
        for pair in collection.pairs {
            if let scalar = pair.key.scalar, scalar.value == name { return pair.key.location }
        }
        return nil
    }

    /// The pairs of a finished mapping with its merge keys applied where they stood: explicit keys win over merged
    /// ones, and earlier merge sources over later ones.
    private mutating func applyMerges(_ collection: Collection) -> [YAMLPair] {
        let pairs = collection.pairs
        guard !collection.merges.isEmpty else { return pairs }
        var seen: [String: SourceLocation] = [:]
        for pair in pairs {
            if let name = pair.key.scalar?.value, seen[name] == nil { seen[name] = pair.key.location }
        }
        var result: [YAMLPair] = []
        result.reserveCapacity(pairs.count + 8)
        var next = 0
        for merge in collection.merges {
            while next < merge.index {
                result.append(pairs[next])
                next += 1
            }
            var sources: [YAMLNode] = []
            switch merge.value.content {
            case .mapping: sources = [merge.value]
            case .sequence(let items) where items.allSatisfy({ $0.mapping != nil }): sources = items
            default:
                report(.error(
                    YAMLDiagnosticCode.invalidMerge, "the merge key `<<` needs a mapping or a list of mappings, not \(merge.value.kindDescription)",
                    at: merge.value.location, hint: "write `<<: *anchor` where `&anchor` names a mapping"))
                continue
            }
            for source in sources {
                for pair in source.mapping ?? [] {
                    if let name = pair.key.scalar?.value {
                        if seen[name] != nil { continue }
                        seen[name] = pair.key.location
                    }
                    result.append(pair)
                }
            }
        }
        while next < pairs.count {
            result.append(pairs[next])
            next += 1
        }
        return result
    }
}
