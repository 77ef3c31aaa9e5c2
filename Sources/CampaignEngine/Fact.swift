/// One fact a provider keeps about a resource, for people and for itself: `("scheduled_date", "20300601")`,
/// `("sent", "82")`. Ordered lists of facts are shown as they are; the engine never interprets them.
public struct Fact: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// A fact whose name starts with `_` is the provider's own memory (a cache of looked-up ids, say): kept in state,
    /// never shown in summaries.
    public var isInternal: Bool { name.hasPrefix("_") }
}

extension Array where Element == Fact {
    /// The value of the first fact named `name`.
    public subscript(fact name: String) -> String? { first { $0.name == name }?.value }

    /// `self` with `facts` added, each replacing one of the same name.
    public func merging(_ facts: [Fact]) -> [Fact] {
        var result = self
        for fact in facts {
            if let index = result.firstIndex(where: { $0.name == fact.name }) { result[index] = fact } else { result.append(fact) }
        }
        return result
    }

    /// `sent 82, clicked 28` (a provider's own memory, ``Fact/isInternal``, left out).
    public var shown: String { filter { !$0.isInternal }.map { "\($0.name) \($0.value)" }.joined(separator: ", ") }
}
