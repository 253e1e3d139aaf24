import DiscordAPI
import Foundation
import HostDatabase
import Logging
import PythonCompat
import RedisClient
public import WorkerRuntime

/// The per-user tasks, with the semantics of AA 5.5's `allianceauth/services/modules/discord/tasks.py` and
/// `models.py` (README "Tasks" and "Deliberate differences from AA 5.5").
extension DiscordSync {
    /// The common prefix of the per-user tasks, with errors mapped by `guarded`: the user must exist (else
    /// a final failure "unknown user") and have a Discord link (else nothing to do); then `body` runs.
    func forLinkedUser(_ invocation: TaskInvocation,
                       _ body: (AAUser, DiscordLink) async throws -> TaskOutcome) async -> TaskOutcome {
        await guarded(invocation) {
            guard let pk = invocation.int("user_pk") else {
                return .failure(reason: "bad arguments: user_pk must be an integer")
            }
            guard let user = try await database.user(pk: pk) else { return .failure(reason: "unknown user") }
            guard let link = try await database.discordLink(userPK: pk) else {
                invocation.logger.info("user does not have a discord account: nothing to do")
                return .success(.null)
            }
            return try await body(user, link)
        }
    }

    /// Maps an error to the task outcome: retryable API/network/database errors retry with the
    /// configured pause; rate-limit and budget waits retry after exactly their time, not counted.
    func outcome(for error: any Error, logger: Logger) -> TaskOutcome {
        switch error {
        case let error as DiscordAPIError where error.code == .rateLimiterUnavailable:
            return .unavailable(reason: "the rate-limit state in CACHE_URL's Redis: \(error.message)")
        case let error as DiscordAPIError:
            if let wait = error.retryAfter, error.code == .rateLimited || error.code == .invalidRequestBudget {
                return .retry(after: wait, reason: error.description, countsAsRetry: false)
            }
            if error.isRetryable { return .retryAfterError(error.description) }
            logger.error("Discord refused the request", metadata: ["error": "\(error)"])
            return .failure(reason: error.description)
        case let error as HostDatabaseError where error.code == .unavailable:
            // The database server is restarting or unreachable (the pool reconnects): wait, uncounted,
            // as for a Redis outage.
            return .retry(after: .seconds(5), reason: "database: \(error)", countsAsRetry: false)
        case let error as HostDatabaseError:
            return .retryAfterError("database: \(error)")
        case let error as RedisError where error.isConnectionError || error.refusesThisClient:
            // Redis restarting, unreachable or refusing us (wrong CACHE_URL, password): the task waits with a
            // growing pause, uncounted, so a Redis restart never uses up AA's retries; the worker logs it
            // as an error and reports it in `status`.
            return .unavailable(reason: "\(error)")
        case let error as RedisError:
            return .retryAfterError("redis: \(error)")
        case let error as SyncError:
            return error.retryable ? .retryAfterError(error.message) : .failure(reason: error.message)
        case is CancellationError:
            return .retryAfterError("cancelled")
        default:
            return .retryAfterError("\(error)")
        }
    }

    func guarded(_ invocation: TaskInvocation, _ body: () async throws -> TaskOutcome) async -> TaskOutcome {
        do {
            return try await body()
        } catch {
            return outcome(for: error, logger: invocation.logger)
        }
    }

    // MARK: update_groups

    public func updateGroups(_ invocation: TaskInvocation) async -> TaskOutcome {
        await forLinkedUser(invocation) { user, link in
            let logger = invocation.logger
            guard let profile = try await database.syncProfile(userPK: user.id) else { return .failure(reason: "unknown user") }
            let desired = RoleNames.calculate(groupNames: profile.groupNames, stateName: invocation.string("state_name"),
                                              profileStateName: profile.stateName)
            let reserved = try await database.reservedGroupNames()
            var roles = try await roles()
            var (botTop, _) = try await hierarchy(roles: roles)
            // AA creates missing roles before it looks at the member.
            let missing = RoleSync.plan(desiredNames: desired, guildRoles: roles, memberRoleIDs: [UInt64](), reservedNames: reserved,
                                        botTopPosition: botTop, guildID: options.guildID).missingNames
            if !missing.isEmpty {
                roles = try await createMissingRoles(missing, roles: roles, logger: logger)
                botTop = try await hierarchy(roles: roles).botTop
            }
            let uid = UInt64(bitPattern: link.uid)
            let member: GuildMember
            if let cached = await cachedMember(uid: uid) {
                member = cached
            } else if let fetched = try await client.getMember(guild: guild, user: Snowflake(uid)) {
                member = fetched
            } else {
                return try await memberLeft(user.id, uid: uid, logger: logger)
            }
            var plan = RoleSync.plan(desiredNames: desired, guildRoles: roles, memberRoleIDs: member.roles.map(\.rawValue),
                                     reservedNames: reserved, botTopPosition: botTop, guildID: options.guildID)
            if !plan.unknownMemberRoleIDs.isEmpty {
                roles = try await self.roles(refresh: true)
                plan = RoleSync.plan(desiredNames: desired, guildRoles: roles, memberRoleIDs: member.roles.map(\.rawValue),
                                     reservedNames: reserved, botTopPosition: botTop, guildID: options.guildID)
            }
            logUnassignable(plan, logger: logger)
            guard plan.needsChange else {
                logger.debug("roles already in sync")
                return .success(true)
            }
            // One role added or removed: the member-role endpoint, a bucket of its own, so that single changes
            // and PATCHes (several changes, nicknames) proceed in parallel. Otherwise one PATCH with the list.
            if plan.added.count + plan.removed.count == 1 {
                let role = Snowflake(plan.added.first ?? plan.removed.first!)
                let isMember = plan.added.isEmpty
                    ? try await client.removeMemberRole(guild: guild, user: Snowflake(uid), role: role)
                    : try await client.addMemberRole(guild: guild, user: Snowflake(uid), role: role)
                guard isMember else {
                    return try await memberLeft(user.id, uid: uid, logger: logger)
                }
                var updated = member
                updated.roles = plan.sortedFinalRoleIDs.map { Snowflake($0) }
                await storeMembers([(uid, updated)])
                await markChangedBySingleTask(uid: uid, member: updated)
                logger.info("roles updated", metadata: ["added": "\(plan.added.count)", "removed": "\(plan.removed.count)",
                                                        "route": "member role"])
                return .success(true)
            }
            switch try await client.modifyMember(guild: guild, user: Snowflake(uid), roles: plan.sortedFinalRoleIDs.map { Snowflake($0) }) {
            case .notMember:
                return try await memberLeft(user.id, uid: uid, logger: logger)
            case .modified(let updated):
                if let updated {
                    await storeMembers([(uid, updated)])
                    await markChangedBySingleTask(uid: uid, member: updated)
                } else {
                    await forgetMember(uid: uid)
                }
                logger.info("roles updated", metadata: ["added": "\(plan.added.count)", "removed": "\(plan.removed.count)"])
                return .success(true)
            }
        }
    }

    func logUnassignable(_ plan: RolePlan, logger: Logger) {
        guard !plan.unassignable.isEmpty else { return }
        logger.warning("roles at or above the bot's highest role are not assigned: move the bot's role above them in the server settings",
                       metadata: ["roles": "\(plan.unassignable.sorted().joined(separator: ", "))"])
    }

    // MARK: update_nickname

    public func updateNickname(_ invocation: TaskInvocation) async -> TaskOutcome {
        await forLinkedUser(invocation) { user, link in
            let logger = invocation.logger
            var nickname: String?
            if let given = invocation.string("nickname"), !given.isEmpty {
                nickname = Nickname.truncate(given)
            } else {
                guard let profile = try await database.syncProfile(userPK: user.id) else { return .failure(reason: "unknown user") }
                do {
                    nickname = try Nickname.forUser(profile: profile)
                } catch {
                    logger.error("nickname format failed: nothing sent", metadata: ["error": "\(error)"])
                    return .success(false)
                }
                guard nickname != nil else {
                    logger.info("user has no main character (or the nickname is empty): nickname kept")
                    return .success(false)
                }
            }
            let uid = UInt64(bitPattern: link.uid)
            let roles = try await roles()
            if let owner = try await hierarchy(roles: roles).ownerID, owner == uid {
                logger.info("the guild owner's nickname is never changed")
                return .success(false)
            }
            if let cached = await cachedMember(uid: uid), cached.nick == nickname {
                logger.debug("nickname already in sync")
                return .success(true)
            }
            switch try await client.modifyMember(guild: guild, user: Snowflake(uid), nick: .some(nickname)) {
            case .notMember:
                return try await memberLeft(user.id, uid: uid, logger: logger)
            case .modified(let updated):
                if let updated {
                    await storeMembers([(uid, updated)])
                    await markChangedBySingleTask(uid: uid, member: updated)
                } else {
                    await forgetMember(uid: uid)
                }
                logger.info("nickname updated")
                return .success(true)
            }
        }
    }

    // MARK: update_username

    public func updateUsername(_ invocation: TaskInvocation) async -> TaskOutcome {
        await forLinkedUser(invocation) { user, link in
            let uid = UInt64(bitPattern: link.uid)
            guard let member = try await client.getMember(guild: guild, user: Snowflake(uid)), let discordUser = member.user else {
                return try await memberLeft(user.id, uid: uid, logger: invocation.logger)
            }
            let discriminator = discordUser.discriminator ?? "0"
            if discordUser.username != link.username || discriminator != link.discriminator {
                try await database.updateDiscordUsername(userPK: user.id, username: discordUser.username, discriminator: discriminator)
                invocation.logger.info("username updated", metadata: ["username": "\(DiscordUsername.display(username: discordUser.username, discriminator: discriminator))"])
            }
            return .success(true)
        }
    }

    // MARK: delete_user

    public func deleteUser(_ invocation: TaskInvocation) async -> TaskOutcome {
        await forLinkedUser(invocation) { user, link in
            let logger = invocation.logger
            let uid = UInt64(bitPattern: link.uid)
            let wasMember = try await client.removeMember(guild: guild, user: Snowflake(uid))
            await forgetMember(uid: uid)
            guard try await database.deleteDiscordLink(userPK: user.id) else {
                return .success(.null)
            }
            logger.info("discord account unlinked", metadata: ["kicked": "\(wasMember)"])
            if invocation.bool("notify_user") == true {
                try await database.addNotification(userPK: user.id, .discordAccountDisabled, at: Date())
                _ = try await cache.command(["DEL", RedisArgument(DiscordSyncOptions.notificationCountKey(user.id))])
            }
            return .success(true)
        }
    }

    // MARK: update_servername

    public func updateServername(_ invocation: TaskInvocation) async -> TaskOutcome {
        do {
            let info = try await client.getGuild(guild: guild)
            _ = try await cache.command([
                "SET", RedisArgument(options.guildNameCacheKey), RedisArgument(info.name),
                "EX", RedisArgument(max(1, options.guildNameCacheMaxAgeSeconds)),
            ])
        } catch {
            invocation.logger.warning("guild name not refreshed", metadata: ["error": "\(error)"])
        }
        return .success(.null)
    }
}
