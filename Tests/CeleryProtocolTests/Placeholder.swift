import Testing

@Test func placeholderCeleryProtocol() {}
