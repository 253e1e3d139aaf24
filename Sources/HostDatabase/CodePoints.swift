extension String {
    // Public: both backends slice usernames the way Python does.
    /// The first `count` Unicode code points, as Python's `s[:count]` (not grapheme clusters).
    public func prefix(codePoints count: Int) -> String {
        let scalars = unicodeScalars
        guard scalars.count > count else { return self }
        return String(String.UnicodeScalarView(scalars.prefix(count)))
    }
}
