import Testing

@Test func placeholderRedisClient() {}
