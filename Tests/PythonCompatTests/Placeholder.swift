import Testing

@Test func placeholderPythonCompat() {}
