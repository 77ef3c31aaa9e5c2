import JSON

/// A line a provider adds under a plan action, explaining something it decided about the action's members before
/// the plan was made: `! consent: ana@example.com unsubscribed through unsubscribe_page at 2026-11-30 09:12:03 …`.
/// Explanation only: what is sent is what the action's requests say.
public struct PlanNote: Sendable, Hashable {
    /// The mark the line starts with (`!` for something held back).
    public var mark: String
    /// The word after it (`consent`), the same for every note of one reason: the plan's summary counts notes by it.
    public var word: String
    /// What happened, in words (one line; control characters are shown as `?`).
    public var text: String

    public init(mark: String = "!", word: String, text: String) {
        self.mark = mark
        self.word = word
        self.text = text
    }

    /// The note as JSON: `{"mark", "word", "text"}`.
    public var json: JSONValue { .object([("mark", .string(mark)), ("word", .string(word)), ("text", .string(text))]) }
}
