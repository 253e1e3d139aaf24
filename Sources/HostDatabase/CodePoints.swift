extension String {
    /// The first `count` Unicode code points, as Python's `s[:count]` (not grapheme clusters).
    func prefix(codePoints count: Int) -> String {
        let scalars = unicodeScalars
        guard scalars.count > count else { return self }
        return String(String.UnicodeScalarView(scalars.prefix(count)))
    }
}
