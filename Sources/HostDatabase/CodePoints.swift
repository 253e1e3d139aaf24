import PythonCompat

extension String {
    // Public: both backends slice usernames the way Python does.
    /// The first `count` Unicode code points, as Python's `s[:count]` (not grapheme clusters).
    public func prefix(codePoints count: Int) -> String {
        PythonText.prefix(self, codePoints: count)
    }
}
