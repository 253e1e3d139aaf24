import Testing

@Test func placeholderWorkerRuntime() {}
