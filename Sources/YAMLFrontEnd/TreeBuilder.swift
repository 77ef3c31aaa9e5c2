import Diagnostics

/// Builds ``YAMLNode`` trees from parser events with an explicit stack (no recursion, so depth cannot
/// overflow the call stack), resolving aliases and merge keys and reporting duplicate keys.
struct TreeBuilder {
    private struct Collection {
        var isMapping: Bool
        var location: SourceLocation
        var tag: String?
        var anchor: String?
        /// Sequence items, or mapping keys and values alternating.
        var children: [YAMLNode] = []
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
        guard let collection = stack.popLast() else { return }
        let node: YAMLNode
        if collection.isMapping {
            node = YAMLNode(.mapping(makePairs(collection.children)), at: collection.location, tag: collection.tag)
        } else {
            node = YAMLNode(.sequence(collection.children), at: collection.location, tag: collection.tag)
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
        stack[top].children.append(node)
        let (sum, overflow) = stack[top].weight.addingReportingOverflow(weight)
        stack[top].weight = overflow ? Int.max : sum
    }

    private static func isMergeKey(_ node: YAMLNode) -> Bool {
        guard let scalar = node.scalar, scalar.value == "<<" else { return false }
        return (scalar.style == .plain && scalar.tag == nil) || scalar.tag == "tag:yaml.org,2002:merge"
    }

    /// Pairs from alternating keys and values: reports duplicate keys (keeping the first), then applies merge keys
    /// where they stand; explicit keys win over merged ones, and earlier merge sources over later ones.
    private mutating func makePairs(_ children: [YAMLNode]) -> [YAMLPair] {
        var pairs: [YAMLPair] = []
        pairs.reserveCapacity(children.count / 2)
        var keys = KeySet()
        var merges: [(index: Int, value: YAMLNode)] = []
        var index = 0
        while index + 1 < children.count {
            let key = children[index]
            let value = children[index + 1]
            index += 2
            if Self.isMergeKey(key) {
                merges.append((pairs.count, value))
                continue
            }
            if let name = key.scalar?.value {
                if let first = keys.location(of: name) {
                    report(.error(
                        YAMLDiagnosticCode.duplicateKey, "duplicate key \(Quoting.code(name))", at: key.location,
                        hint: "a key may appear once in a mapping; remove or rename one of them",
                        related: [RelatedLocation("first defined here", at: first)]))
                    continue
                }
                keys.insert(name, at: key.location)
            }
            pairs.append(YAMLPair(key: key, value: value))
        }
        guard !merges.isEmpty else { return pairs }

        var result: [YAMLPair] = []
        result.reserveCapacity(pairs.count + 8)
        var next = 0
        for merge in merges {
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
                        if keys.location(of: name) != nil { continue }
                        keys.insert(name, at: pair.key.location)
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

/// A set of scalar keys with where each was first seen: a linear scan for the small mappings campaign files have,
/// a dictionary once a mapping grows.
private struct KeySet {
    private var small: [(String, SourceLocation)] = []
    private var large: [String: SourceLocation]?

    func location(of key: String) -> SourceLocation? {
        if let large { return large[key] }
        for (name, location) in small where name == key { return location }
        return nil
    }

    mutating func insert(_ key: String, at location: SourceLocation) {
        if large != nil {
            large?[key] = location
            return
        }
        small.append((key, location))
        if small.count > 16 {
            large = Dictionary(small, uniquingKeysWith: { first, _ in first })
            small = []
        }
    }
}
