import DiscordAPI
import Testing

/// Runs `body` and returns the DiscordAPIError it throws (records an issue when it succeeds or
/// throws something else).
func apiError<T>(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> DiscordAPIError? {
    do {
        let value = try await body()
        Issue.record("expected a DiscordAPIError, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as DiscordAPIError {
        return error
    } catch {
        Issue.record("expected a DiscordAPIError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
