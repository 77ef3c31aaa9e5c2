/// Safe quoting of user text inside diagnostic messages: control characters are escaped and long text is cut,
/// so that a hostile file can neither flood the terminal nor send it escape sequences.
public enum Quoting {
    /// `text` in backticks, with control characters escaped and at most `limit` characters kept.
    public static func code(_ text: String, limit: Int = 60) -> String {
        "`" + sanitize(text, limit: limit) + "`"
    }

    /// How many characters of a data file's text (a CSV column name or cell) a diagnostic may show.
    public static let cellLimit = 40

    /// Text taken from a data file (a CSV column name or cell) in backticks: control characters escaped and at most
    /// ``cellLimit`` characters kept, so a diagnostic never echoes more than a glimpse of a file's content.
    public static func cell(_ text: String) -> String {
        code(text, limit: cellLimit)
    }

    /// `text` with control characters escaped (`\n`, `\u{1B}`) and cut to `limit` characters with an ellipsis.
    public static func sanitize(_ text: String, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out.append("…")
                break
            }
            switch scalar {
            case "\n": out.append("\\n")
            case "\t": out.append("\\t")
            case "\r": out.append("\\r")
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out.append("\\u{\(String(scalar.value, radix: 16, uppercase: true))}")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            count += 1
        }
        return out
    }
}
