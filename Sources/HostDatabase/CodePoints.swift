import PythonCompat

extension String {
    /// The first `count` Unicode code points, as Python's `s[:count]` (not grapheme clusters).
    func prefix(codePoints count: Int) -> String {
        PythonText.prefix(self, codePoints: count)
    }
}
