public import Broker
import CeleryProtocol
public import DiscordAPI
import Foundation
public import HostDatabase
public import Logging
import PythonCompat
public import RedisClient
import Synchronization
import WorkerRuntime

/// The shared service behind every `discord.*` handler: the Discord client, AA's database, AA's
/// cache Redis (roles/guild-name caches, celery_once locks through `OnceLocks`, notification counts) and
/// the broker (messages this worker enqueues itself through `TaskPublisher`, and every lock: `RedisLocks`,
/// bound to the worker's lease).
public final class DiscordSync: Sendable {
    public let client: DiscordClient
    public let database: any HostDatabase
    /// AA's Django cache (db 1 in AA's template).
    public let cache: RedisClient
    /// Publishes the tasks the handlers enqueue themselves, to the queue `options.queue` names for `discord.*`.
    public let publisher: TaskPublisher
    /// AA's celery_once locks, in `cache`.
    let onceLocks: OnceLocks
    public let options: DiscordSyncOptions
    /// Per-user and role-creation locks in the broker Redis, held in the worker's name.
    public let locks: RedisLocks
    let logger: Logger

    struct BotState {
        var botUserID: UInt64?
        var ownerID: UInt64?
        var botRoleIDs: Set<UInt64> = []
        var fetchedAt: ContinuousClock.Instant?
    }
    private let botState = Mutex(BotState())
    private let botStateLoad = SingleFlight<BotState>()
    private let rolesLoad = SingleFlight<[GuildRoleInfo]>()
    /// Bot identity, owner and the bot's roles are re-read after this long.
    static let botStateLifetime: Duration = .seconds(300)

    /// - Parameter broker: the Celery broker (db 0), owned and closed by the caller: tasks are published
    ///   and (without `locks`) locks are held on it.
    public init(client: DiscordClient, database: any HostDatabase, cache: RedisClient, broker: RedisClient,
                options: DiscordSyncOptions, locks: RedisLocks? = nil, logger: Logger = Logger(label: "discord-worker.tasks")) {
        // Without a worker (tests, tools) the locks are held in a name nobody renews: they expire after 30 s.
        self.locks = locks ?? RedisLocks(redis: broker, keys: BrokerKeys(prefix: options.keyPrefix),
                                         holder: "tasks-" + UUID().uuidString.prefix(8).lowercased(), lease: .seconds(30))
        self.client = client
        self.database = database
        self.cache = cache
        self.onceLocks = OnceLocks(cache: cache)
        self.publisher = TaskPublisher(sharing: broker, routes: .allianceAuth(queue: options.queue, defaultQueue: options.queue),
                                       origin: options.origin)
        self.options = options
        self.logger = logger
    }

    var guild: Snowflake { Snowflake(options.guildID) }

    // MARK: - Roles cache (AA's key, AA's format)

    /// The guild's roles: from AA's cache key when present, else from the API (and cached).
    func roles(refresh: Bool = false) async throws -> [GuildRoleInfo] {
        if refresh { return try await fetchRoles() }
        if let cached = try await cachedRoles() { return cached }
        return try await rolesLoad.run { try await self.fetchRoles() }
    }

    /// GET the roles and store them under AA's cache key.
    private func fetchRoles() async throws -> [GuildRoleInfo] {
        let roles = try await client.getRoles(guild: guild)
        guard !roles.isEmpty else {
            throw SyncError("GET /guilds/{g}/roles returned no roles (is DISCORD_GUILD_ID right?)")
        }
        let json = JSONValue.array(roles.map(Self.roleJSON))
        _ = try await cache.command([
            "SET", RedisArgument(options.rolesCacheKey), RedisArgument(bytes: json.serialized(.python)),
            "PX", RedisArgument(max(1, options.rolesCacheMaxAgeMilliseconds)),
        ])
        return roles.map(Self.info)
    }

    private func cachedRoles() async throws -> [GuildRoleInfo]? {
        guard let bytes = try await cache.command(["GET", RedisArgument(options.rolesCacheKey)]).bytes,
              let value = try? JSONValue.parse(bytes, options: .python), let list = value.arrayValue, !list.isEmpty
        else { return nil }
        var result: [GuildRoleInfo] = []
        for element in list {
            guard let object = element.objectValue, let name = object["name"]?.stringValue else { return nil }
            let id: UInt64? = switch object["id"] {
            case .string(let s)?: UInt64(s)
            case .int(let i)?: UInt64(exactly: i)
            default: nil
            }
            guard let id else { return nil }
            result.append(GuildRoleInfo(id: id, name: name, position: object["position"]?.intValue ?? 0,
                                        managed: object["managed"]?.boolValue ?? false))
        }
        return result
    }

    static func info(_ role: GuildRole) -> GuildRoleInfo {
        GuildRoleInfo(id: role.id.rawValue, name: role.name, position: role.position, managed: role.managed)
    }

    /// A role as Discord's API returns it (the fields AA's readers and the web page use).
    static func roleJSON(_ role: GuildRole) -> JSONValue {
        let object: JSONObject = [
            "id": .string(role.id.description),
            "name": .string(role.name),
            "color": JSONValue(role.color ?? 0),
            "hoist": .bool(role.hoist ?? false),
            "position": JSONValue(role.position),
            "permissions": .string(role.permissions),
            "managed": .bool(role.managed),
            "mentionable": .bool(role.mentionable ?? false),
        ]
        return .object(object)
    }

    func invalidateRolesCache() async {
        _ = try? await cache.command(["DEL", RedisArgument(options.rolesCacheKey)])
    }

    // MARK: - The bot's place in the guild

    /// The bot's highest role position among `roles` (`Int.max` when the bot owns the guild), and the owner.
    func hierarchy(roles: [GuildRoleInfo]) async throws -> (botTop: Int, ownerID: UInt64?) {
        let now = ContinuousClock.now
        var state = botState.withLock { $0 }
        if state.fetchedAt == nil || now - state.fetchedAt! > Self.botStateLifetime {
            let knownBotID = state.botUserID
            state = try await botStateLoad.run {
                let botID = if let knownBotID { knownBotID } else { try await self.client.currentBotUser().id.rawValue }
                let guildInfo = try await self.client.getGuild(guild: self.guild)
                let member = try await self.client.getMember(guild: self.guild, user: Snowflake(botID))
                let fresh = BotState(botUserID: botID, ownerID: guildInfo.ownerID?.rawValue,
                                     botRoleIDs: Set(member?.roles.map(\.rawValue) ?? []), fetchedAt: ContinuousClock.now)
                self.botState.withLock { $0 = fresh }
                return fresh
            }
        }
        if let owner = state.ownerID, owner == state.botUserID { return (Int.max, owner) }
        let positions = roles.filter { state.botRoleIDs.contains($0.id) }.map(\.position)
        return (positions.max() ?? 0, state.ownerID)
    }

    // MARK: - Role creation (once, across tasks and workers)

    /// Creates the `names` no guild role has (unless role creation is disabled) and returns the
    /// roles list including them. One Redis lock per name; after taking it the roles are read from
    /// the API again, so a role another task just created is used, not created twice.
    func createMissingRoles(_ names: [String], roles: [GuildRoleInfo], logger: Logger) async throws -> [GuildRoleInfo] {
        guard !names.isEmpty else { return roles }
        if options.disableRoleCreation {
            logger.info("roles missing in the guild are not created (DISCORD_DISABLE_ROLE_CREATION)",
                        metadata: ["roles": "\(names.joined(separator: ", "))"])
            return roles
        }
        var current = roles
        for name in names {
            if current.contains(where: { $0.name == name && $0.id != options.guildID }) { continue }
            let lock = locks.named(options.createRoleLockName(name: name), token: "create-role-" + UUID().uuidString)
            do { try await lock.acquire(waitUpTo: .seconds(60)) } catch let timeout as LockTimeout {
                throw SyncError("\(timeout)", retryable: true)
            }
            do {
                let fresh = try await client.getRoles(guild: guild).map(Self.info)
                if !fresh.isEmpty { current = fresh }
                if !current.contains(where: { $0.name == name && $0.id != options.guildID }) {
                    do {
                        let role = try await client.createRole(guild: guild, name: name)
                        current.append(Self.info(role))
                        await invalidateRolesCache()
                        logger.info("created role", metadata: ["role": "\(name)"])
                    } catch let error where error.code == .maxRoles {
                        logger.error("cannot create role: the guild has 250 roles", metadata: ["role": "\(name)"])
                    }
                }
            } catch {
                _ = try? await lock.release()
                throw error
            }
            _ = try? await lock.release()
        }
        return current
    }

    // MARK: - Enqueueing (AA's own calls)

    /// Publishes a task as Celery's `apply_async` does (`TaskPublisher.send`).
    @discardableResult
    func enqueue(_ task: String, args: [JSONValue], kwargs: JSONObject = [:], priority: Int = 5) async throws -> String {
        try await publisher.send(task, args: args, kwargs: kwargs, priority: priority).id
    }

    /// AA's "not a member any more" path: `delete_user.delay(user_pk, notify_user=True)` with its
    /// celery_once lock; nothing is published when the lock is held (the call is already queued).
    func enqueueDeleteUser(_ pk: Int64, logger: Logger) async throws {
        let args: [JSONValue] = [.int(pk)]
        let kwargs: JSONObject = ["notify_user": true]
        guard try await onceLocks.take(task: "discord.delete_user", parameters: ["user_pk", "notify_user"], args: args, kwargs: kwargs) else {
            logger.info("user is no member of the guild; discord.delete_user is already queued")
            return
        }
        let id = try await enqueue("discord.delete_user", args: args, kwargs: kwargs, priority: 5)
        logger.info("user is no member of the guild: enqueued discord.delete_user(notify_user=True)", metadata: ["enqueued_id": "\(id)"])
    }

    // MARK: - Post-sync member state (bulk → single tasks)

    func storeMembers(_ members: [(uid: UInt64, member: GuildMember)]) async {
        guard !members.isEmpty, options.memberCacheSeconds > 0 else { return }
        var commands: [[RedisArgument]] = []
        for (uid, member) in members {
            var object: JSONObject = ["roles": .array(member.roles.map { .string($0.description) })]
            object["nick"] = member.nick.map(JSONValue.string) ?? .null
            commands.append(["SET", RedisArgument(options.memberCacheKey(uid: uid)),
                             RedisArgument(bytes: JSONValue.object(object).serialized(.python)),
                             "EX", RedisArgument(options.memberCacheSeconds)])
        }
        for start in stride(from: 0, to: commands.count, by: 500) {
            _ = try? await cache.pipeline(Array(commands[start..<min(start + 500, commands.count)]))
        }
    }

    // MARK: - Single-task changes seen by a running bulk sync

    /// How long a single task's change stays visible to bulk syncs (longer than a 100,000-member bulk).
    static let changedMarkSeconds = 7_200

    /// Records that a single task just brought the member to `member`'s roles and nickname: a bulk sync
    /// planned earlier skips the member if that is exactly what it would send (`BulkSync.apply`).
    func markChangedBySingleTask(uid: UInt64, member: GuildMember) async {
        _ = try? await cache.command([
            "SET", RedisArgument(options.changedMarkKey(uid: uid)), RedisArgument(bytes: Self.memberJSON(member)),
            "EX", RedisArgument(Self.changedMarkSeconds),
        ])
    }

    func changedBySingleTask(uid: UInt64) async -> GuildMember? {
        guard let bytes = try? await cache.command(["GET", RedisArgument(options.changedMarkKey(uid: uid))]).bytes else { return nil }
        return Self.member(fromJSON: bytes)
    }

    /// Forgets the marks of `uids` (a bulk sync does it when it plans: older marks say nothing about
    /// the member list it just read).
    func clearChangedMarks(uids: [UInt64]) async {
        for start in stride(from: 0, to: uids.count, by: 500) {
            let chunk = uids[start..<min(start + 500, uids.count)]
            _ = try? await cache.command([RedisArgument("UNLINK")] + chunk.map { RedisArgument(options.changedMarkKey(uid: $0)) })
        }
    }

    static func memberJSON(_ member: GuildMember) -> [UInt8] {
        var object: JSONObject = ["roles": .array(member.roles.map { .string($0.description) })]
        object["nick"] = member.nick.map(JSONValue.string) ?? .null
        return JSONValue.object(object).serialized(.python)
    }

    static func member(fromJSON bytes: [UInt8]) -> GuildMember? {
        guard let object = (try? JSONValue.parse(bytes))?.objectValue, let roles = object["roles"]?.arrayValue else { return nil }
        return GuildMember(user: nil, nick: object["nick"]?.stringValue,
                           roles: roles.compactMap { $0.stringValue.flatMap(Snowflake.init) })
    }

    func cachedMember(uid: UInt64) async -> GuildMember? {
        guard options.memberCacheSeconds > 0,
              let bytes = try? await cache.command(["GET", RedisArgument(options.memberCacheKey(uid: uid))]).bytes,
              let object = (try? JSONValue.parse(bytes))?.objectValue, let roles = object["roles"]?.arrayValue
        else { return nil }
        return GuildMember(user: nil, nick: object["nick"]?.stringValue,
                           roles: roles.compactMap { $0.stringValue.flatMap(Snowflake.init) })
    }

    func forgetMember(uid: UInt64) async {
        _ = try? await cache.command(["DEL", RedisArgument(options.memberCacheKey(uid: uid))])
    }

    /// The user is not in the guild any more: forget the cached member and hand over to AA's delete path
    /// (`discord.delete_user` with `notify_user=True`). The task itself ends with `None`, as AA's does.
    func memberLeft(_ pk: Int64, uid: UInt64, logger: Logger) async throws -> TaskOutcome {
        await forgetMember(uid: uid)
        try await enqueueDeleteUser(pk, logger: logger)
        return .success(.null)
    }
}

/// A failure of the sync layer that is not a Discord API or database error.
struct SyncError: Error, CustomStringConvertible {
    var message: String
    var retryable: Bool
    init(_ message: String, retryable: Bool = false) {
        self.message = message
        self.retryable = retryable
    }
    var description: String { message }
}
