import Testing

@Test func placeholderHostDatabase() {}
