/// Bounds that keep hostile input from exhausting time, memory or stack.
public struct YAMLLimits: Sendable, Hashable {
    /// Deepest nesting of sequences and mappings accepted (deeper input is reported, not parsed).
    public var maxDepth: Int
    /// Most nodes that aliases may add to one document when expanded ("billion laughs" guard).
    public var maxAliasExpansion: Int
    /// Largest file accepted, in bytes.
    public var maxFileSize: Int

    public init(maxDepth: Int = 200, maxAliasExpansion: Int = 100_000, maxFileSize: Int = 32 << 20) {
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
        self.maxFileSize = maxFileSize
    }
}
