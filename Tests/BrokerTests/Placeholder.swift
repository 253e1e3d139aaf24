import Testing

@Test func placeholderBroker() {}
