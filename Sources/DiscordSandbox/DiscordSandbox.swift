// DiscordSandbox: a stateful stand-in for Discord's HTTP API v10 (the endpoints, rate limits and errors that
// DiscordAPI uses; README "Layout"). Test equipment: of the project's modules it uses only PythonCompat (JSON
// string writing), and it is never linked into discord-worker.
//
// In-process use (tests):
//
//     let server = try await SandboxServer.start(
//         configuration: SandboxConfiguration(profile: .unlimited),      // or .discordLike
//         seed: .generated(memberCount: 100))
//     // point the client at server.baseURL ("http://127.0.0.1:<port>/api/v10/"),
//     // bot token server.botToken, guild server.guildID
//     let member = server.state.member(SandboxSeed.firstUserID + 1)
//     let stats = await server.stats()
//     await server.setFaults(SandboxFaults(serverErrorRate: 0.1))
//     await server.shutdown()
//
// Out of process: the `discord-sandbox` executable (see `discord-sandbox --help`) prints
// "discord-sandbox listening on http://127.0.0.1:PORT" when ready; the admin endpoints under
// /_sandbox/ (AdminAPI.swift) expose the same control as the library.
//
// The guild (`SandboxSeed`): roles with positions, @everyone (id = guild id, position 0, never in
// member.roles), managed roles, the bot user and its managed role (its highest role unless seeded
// otherwise), members, the owner. `SandboxSeed.generated` builds a deterministic one: user i has id
// `firstUserID + i` and username `user0000i`, user 0 is the owner and holds "Admin" (above the bot).
//
// Endpoints (v{N} any number, v10 semantics): GET /guilds/{g}; GET|POST /guilds/{g}/roles;
// GET /guilds/{g}/members?limit=&after=; GET|PUT|PATCH|DELETE /guilds/{g}/members/{u};
// PUT|DELETE /guilds/{g}/members/{u}/roles/{r}; GET /users/@me; POST /oauth2/token (also unversioned
// /api/oauth2/token). Errors use Discord's bodies and codes (APIError.swift).
//
// Rules: a bot may add/remove only non-managed roles strictly below its highest role, and
// rename/kick only members whose highest role is strictly below it, never the owner; a full-list
// PATCH that drops a managed role the member has is a change to that role → 403 50013. Equal
// positions count as "at or above" (ties are not broken by id).
//
// Rate limits (RateLimiter.swift): sliding windows per (bucket, guild) plus a global window per bot
// token, checked at arrival; rejected requests consume nothing; latency is added after the decision.
// Requests answered 401 (checked before limits) or by an injected fault use no slot.
//
// Order of checks for one request: route → hang fault → 5xx fault → authentication → forced 429s /
// blocks → global window → bucket window → the operation (SandboxEngine.swift).
