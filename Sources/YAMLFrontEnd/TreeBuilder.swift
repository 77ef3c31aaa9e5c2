import Diagnostics

/// Builds a file's ``YAMLTree`` from parser events with an explicit stack (no recursion, so depth cannot overflow
/// the call stack), resolving aliases and merge keys and reporting duplicate keys. Nodes are appended to flat
/// arrays; a collection's children wait on a shared scratch stack until it ends.
struct TreeBuilder {
    private typealias Record = YAMLTree.Record

    /// An open collection.
    private struct Frame {
        var id: Int32
        var isMapping: Bool
        var anchor: String?
        /// Where this collection's children start on `scratch`.
        var scratchStart: Int
        /// Node count including alias expansions (saturating).
        var weight = 1
    }

    private struct Anchored {
        var id: Int32
        var weight: Int
    }

    let file: String
    let limits: YAMLLimits
    private(set) var diagnostics: [Diagnostic] = []
    /// Set after an error that makes the rest of the input meaningless (limits); parsing stops.
    private(set) var aborted = false

    private var records: [Record] = []
    private var links: [Int32] = []
    private var values: [String] = []
    private var tags: [String] = []
    /// Finished documents: root node and start.
    private var roots: [(id: Int32, line: Int32, column: Int32)] = []

    private var stack: [Frame] = []
    private var scratch: [Int32] = []
    private var anchors: [String: Anchored] = [:]
    private var expanded = 0
    private var documentLine: Int32 = 1
    private var documentColumn: Int32 = 1
    private var root: Int32?

    init(file: String, limits: YAMLLimits, expectedBytes: Int = 0) {
        self.file = file
        self.limits = limits
        // About one node per 12 bytes in typical campaign files; growing past this is fine.
        let nodes = min(expectedBytes / 12, 1 << 16)
        records.reserveCapacity(nodes)
        links.reserveCapacity(nodes)
        values.reserveCapacity(nodes)
    }

    mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    /// The documents finished so far, sharing one tree.
    func documents() -> [YAMLDocument] {
        guard !roots.isEmpty else { return [] }
        let tree = YAMLTree(file: file, records: records, links: links, values: values, tags: tags)
        return roots.map { root in
            YAMLDocument(root: YAMLNode(tree: tree, id: root.id), location: SourceLocation(file: file, line: Int(root.line), column: Int(root.column)))
        }
    }

    // MARK: events

    mutating func documentStart(line: Int32, column: Int32) {
        anchors.removeAll(keepingCapacity: true)
        expanded = 0
        stack.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
        root = nil
        documentLine = line
        documentColumn = column
    }

    mutating func documentEnd() {
        let id = root ?? addScalar("", style: .plain, tag: nil, line: documentLine, column: documentColumn)
        roots.append((id, documentLine, documentColumn))
        root = nil
    }

    mutating func scalar(_ value: String, style: ScalarStyle, tag: String?, anchor: String?, line: Int32, column: Int32) {
        attach(addScalar(value, style: style, tag: tag, line: line, column: column), weight: 1, anchor: anchor)
    }

    mutating func alias(_ name: String, line: Int32, column: Int32) {
        guard let anchored = anchors[name] else {
            report(.error(
                YAMLDiagnosticCode.undefinedAlias, "undefined alias \(Quoting.code("*" + name))", at: location(line, column),
                hint: "an anchor (`&\(Quoting.sanitize(name, limit: 40))`) must be defined earlier in the same document"))
            attach(addScalar("", style: .plain, tag: nil, line: line, column: column), weight: 1, anchor: nil)
            return
        }
        let (sum, overflow) = expanded.addingReportingOverflow(anchored.weight)
        expanded = overflow ? Int.max : sum
        if expanded > limits.maxAliasExpansion {
            report(.error(
                YAMLDiagnosticCode.aliasExpansion,
                "aliases expand this document to more than \(limits.maxAliasExpansion) nodes",
                at: location(line, column),
                hint: "this looks like an alias bomb (\"billion laughs\"); aliases are expanded, so nest them less"))
            aborted = true
            return
        }
        attach(anchored.id, weight: anchored.weight, anchor: nil)
    }

    mutating func collectionStart(isMapping: Bool, tag: String?, anchor: String?, line: Int32, column: Int32) {
        if stack.count >= limits.maxDepth {
            report(.error(
                YAMLDiagnosticCode.tooDeep, "nesting is deeper than \(limits.maxDepth) levels", at: location(line, column),
                hint: "campaign files never need this much nesting"))
            aborted = true
            return
        }
        let id = Int32(records.count)
        records.append(Record(
            kind: isMapping ? .mapping : .sequence, style: .plain, line: line, column: column, tag: addTag(tag), start: 0, count: 0))
        stack.append(Frame(id: id, isMapping: isMapping, anchor: anchor, scratchStart: scratch.count))
    }

    mutating func collectionEnd() {
        guard var frame = stack.popLast() else { return }
        let start = Int32(links.count)
        if frame.isMapping {
            if (scratch.count - frame.scratchStart) % 2 == 1 {
                // Cannot happen with libyaml (a mapping always ends after a value), but never lose a key.
                let key = records[Int(scratch[scratch.count - 1])]
                scratch.append(addScalar("", style: .plain, tag: nil, line: key.line, column: key.column))
            }
            records[Int(frame.id)].count = finishMapping(&frame)
        } else {
            links.append(contentsOf: scratch[frame.scratchStart...])
            records[Int(frame.id)].count = Int32(scratch.count - frame.scratchStart)
        }
        records[Int(frame.id)].start = start
        scratch.removeSubrange(frame.scratchStart...)
        attach(frame.id, weight: frame.weight, anchor: frame.anchor)
    }

    // MARK: building

    private func location(_ line: Int32, _ column: Int32) -> SourceLocation {
        SourceLocation(file: file, line: Int(line), column: Int(column))
    }

    private mutating func addTag(_ tag: String?) -> Int32 {
        guard let tag else { return -1 }
        if let index = tags.firstIndex(of: tag) { return Int32(index) }
        tags.append(tag)
        return Int32(tags.count - 1)
    }

    private mutating func addScalar(_ value: String, style: ScalarStyle, tag: String?, line: Int32, column: Int32) -> Int32 {
        let id = Int32(records.count)
        records.append(Record(kind: .scalar, style: style, line: line, column: column, tag: addTag(tag), start: Int32(values.count), count: 0))
        values.append(value)
        return id
    }

    private mutating func attach(_ id: Int32, weight: Int, anchor: String?) {
        if let anchor {
            anchors[anchor] = Anchored(id: id, weight: weight)
        }
        guard !stack.isEmpty else {
            root = id
            return
        }
        let top = stack.count - 1
        let (sum, overflow) = stack[top].weight.addingReportingOverflow(weight)
        stack[top].weight = overflow ? Int.max : sum
        scratch.append(id)
    }

    /// Node `id` as a scalar, if it is one.
    private func scalar(_ id: Int32) -> YAMLScalar? {
        let record = records[Int(id)]
        guard record.kind == .scalar else { return nil }
        return YAMLScalar(values[Int(record.start)], style: record.style, tag: record.tag < 0 ? nil : tags[Int(record.tag)])
    }

    /// The scalar text of node `id`, if it is a scalar.
    private func scalarValue(_ id: Int32) -> String? {
        let record = records[Int(id)]
        return record.kind == .scalar ? values[Int(record.start)] : nil
    }

    private func isMergeKey(_ id: Int32) -> Bool {
        guard let scalar = scalar(id), scalar.value == "<<" else { return false }
        return (scalar.style == .plain && scalar.tag == nil) || scalar.tag == "tag:yaml.org,2002:merge"
    }

    /// Mappings up to this many keys find duplicates by scanning their pairs; larger ones use a dictionary.
    private static let linearScanLimit = 16

    /// Writes the finished mapping's pairs to `links` and returns how many: duplicate keys are reported (the first
    /// wins), then merge keys are applied where they stood; explicit keys win over merged ones, and earlier merge
    /// sources over later ones.
    private mutating func finishMapping(_ frame: inout Frame) -> Int32 {
        let start = links.count
        var merges: [(index: Int, value: Int32)] = []
        var index: [String: Int32]?
        var position = frame.scratchStart
        while position + 1 < scratch.count {
            let key = scratch[position]
            let value = scratch[position + 1]
            position += 2
            if isMergeKey(key) {
                merges.append(((links.count - start) / 2, value))
                continue
            }
            if let name = scalarValue(key) {
                if let first = firstKey(name, from: start, index: index) {
                    let keyRecord = records[Int(key)]
                    let firstRecord = records[Int(first)]
                    report(.error(
                        YAMLDiagnosticCode.duplicateKey, "duplicate key \(Quoting.code(name))", at: location(keyRecord.line, keyRecord.column),
                        hint: "a key may appear once in a mapping; remove or rename one of them",
                        related: [RelatedLocation("first defined here", at: location(firstRecord.line, firstRecord.column))]))
                    continue
                }
                if index != nil {
                    index?[name] = key
                } else if (links.count - start) / 2 >= Self.linearScanLimit {
                    index = keyIndex(pairs: Array(links[start...]))
                    index?[name] = key
                }
            }
            links.append(key)
            links.append(value)
        }
        guard !merges.isEmpty else { return Int32((links.count - start) / 2) }

        let own = Array(links[start...])
        links.removeSubrange(start...)
        var seen = keyIndex(pairs: own)
        var next = 0
        for merge in merges {
            while next < merge.index {
                links.append(own[2 * next])
                links.append(own[2 * next + 1])
                next += 1
            }
            let source = records[Int(merge.value)]
            var sources: [Record] = []
            switch source.kind {
            case .mapping: sources = [source]
            case .sequence where (0..<Int(source.count)).allSatisfy({ records[Int(links[Int(source.start) + $0])].kind == .mapping }):
                sources = (0..<Int(source.count)).map { records[Int(links[Int(source.start) + $0])] }
            default:
                let kind = source.kind == .sequence ? "a list" : (scalar(merge.value)?.isNull == true ? "null" : "a scalar")
                report(.error(
                    YAMLDiagnosticCode.invalidMerge, "the merge key `<<` needs a mapping or a list of mappings, not \(kind)",
                    at: location(source.line, source.column), hint: "write `<<: *anchor` where `&anchor` names a mapping"))
                continue
            }
            for mapping in sources {
                for pair in 0..<Int(mapping.count) {
                    let key = links[Int(mapping.start) + 2 * pair]
                    let value = links[Int(mapping.start) + 2 * pair + 1]
                    if let name = scalarValue(key) {
                        if seen[name] != nil { continue }
                        seen[name] = key
                    }
                    links.append(key)
                    links.append(value)
                }
            }
        }
        while 2 * next < own.count {
            links.append(own[2 * next])
            links.append(own[2 * next + 1])
            next += 1
        }
        return Int32((links.count - start) / 2)
    }

    /// The key node named `name` among the pairs written since `start`, if any.
    private func firstKey(_ name: String, from start: Int, index: [String: Int32]?) -> Int32? {
        if let index { return index[name] }
        var link = start
        while link < links.count {
            if scalarValue(links[link]) == name { return links[link] }
            link += 2
        }
        return nil
    }

    /// Scalar keys of alternating key/value links, first occurrence kept.
    private func keyIndex(pairs: [Int32]) -> [String: Int32] {
        var index: [String: Int32] = [:]
        var link = 0
        while link < pairs.count {
            if let name = scalarValue(pairs[link]), index[name] == nil { index[name] = pairs[link] }
            link += 2
        }
        return index
    }
}
