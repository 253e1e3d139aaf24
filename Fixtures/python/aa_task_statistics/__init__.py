"""Alliance Auth 5.5.0 task statistics modules (test fixture; see the headers)."""
