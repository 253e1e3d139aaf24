// Placeholder: RedisClient is being written.
