import Broker
import DiscordAPI
import Foundation
import HostDatabase
import Logging
import PythonCompat
import RedisClient
import Synchronization
public import WorkerRuntime

/// What a bulk task syncs.
public struct BulkKind: Sendable, Hashable {
    public var groups: Bool
    public var nicknames: Bool
    public var usernames: Bool
    /// `update_all_usernames` also refreshes the cached guild name.
    public var servername: Bool

    public init(groups: Bool = false, nicknames: Bool = false, usernames: Bool = false, servername: Bool = false) {
        self.groups = groups
        self.nicknames = nicknames
        self.usernames = usernames
        self.servername = servername
    }
}

/// One member whose roles and/or nickname must change.
struct BulkAction: Sendable {
    var pk: Int64
    var uid: UInt64
    /// The full role list for a PATCH (nil = roles unchanged).
    var roles: [UInt64]?
    /// The nickname for a PATCH (nil = unchanged).
    var nick: String?
    /// A single role added (true) or removed (false) with no nickname change: the role route can do it.
    var singleRole: (role: UInt64, add: Bool)?
    /// The member after the change.
    var after: GuildMember
    var changesGroups: Bool { roles != nil }
    var changesNick: Bool { nick != nil }

    /// Whether `member` already has what this action would send (its roles as a set; its nickname
    /// when the action changes it).
    func isSatisfied(by member: GuildMember) -> Bool {
        if let roles, Set(roles) != Set(member.roles.map(\.rawValue)) { return false }
        if let nick, member.nick != nick { return false }
        return changesGroups || changesNick
    }
}

/// Counters of a running bulk task.
struct BulkCounters: Sendable {
    var done = 0
    var changed = 0
    var failed = 0
    var failedGroups: [Int64] = []
    var failedNicks: [Int64] = []
    var synced: [(uid: UInt64, member: GuildMember)] = []
    /// The start of the sending phase and `done` at that moment (for the ETA).
    var sendingSince: Date?
    var doneWhenSendingStarted: Int?
}

/// A lock-protected value shared by the tasks of one bulk run.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Hands out 0, 1, 2, … to concurrent workers.
final class Ticket: Sendable {
    private let counter = Atomic<Int>(0)
    func next() -> Int { counter.add(1, ordering: .relaxed).oldValue }
}

/// The native bulk sync (README "Tasks"): one database pass, one member listing, only the requests
/// that change something, PATCH and role routes in parallel.
extension DiscordSync {
    public func bulk(_ invocation: TaskInvocation, kind: BulkKind, pksArgument: String?) async -> TaskOutcome {
        var pks: [Int64]?
        if let name = pksArgument {
            guard let list = invocation.arguments[name]?.arrayValue else {
                return .failure(reason: "bad arguments: \(name) must be a list of user pks")
            }
            var values: [Int64] = []
            for element in list {
                guard let pk = element.int64Value else { return .failure(reason: "bad arguments: \(name) must contain integers") }
                values.append(pk)
            }
            pks = values
        }
        // Every request of a bulk sync waits in the bulk lane: single tasks' requests go first (bounded).
        return await RequestPriority.$current.withValue(.bulk) {
            await guarded(invocation) { try await runBulk(invocation, kind: kind, pks: pks) }
        }
    }

    /// Periodic progress for `status` (every second) and the log (about every 10%).
    private func startProgressReporter(_ invocation: TaskInvocation, total: Int,
                                       snapshot: @escaping @Sendable (Bool) -> BulkProgress) -> Task<Void, Never> {
        let logger = invocation.logger
        return Task {
            var nextLog = max(1, total / 10)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                let progress = snapshot(false)
                await invocation.progress.report(progress)
                if progress.done >= nextLog {
                    logger.info("bulk sync progress", metadata: [
                        "done": "\(progress.done)", "total": "\(total)", "changed": "\(progress.changed)",
                        "failed": "\(progress.failed)",
                        "eta_seconds": "\(progress.etaSeconds.map { String(Int($0.rounded())) } ?? "unknown")",
                    ])
                    nextLog = (progress.done / max(1, total / 10) + 1) * max(1, total / 10)
                }
            }
        }
    }

    private func runBulk(_ invocation: TaskInvocation, kind: BulkKind, pks: [Int64]?) async throws -> TaskOutcome {
        let logger = invocation.logger
        let started = Date()
        if kind.servername { _ = await updateServername(invocation) }

        let users = try await database.linkedUsers(pks: pks)
        let total = users.count
        let counters = Shared(BulkCounters())
        let snapshot: @Sendable (Bool) -> BulkProgress = { finished in
            counters.withLock {
                BulkProgress(taskID: invocation.id, task: invocation.name, done: $0.done, total: total, changed: $0.changed,
                             failed: $0.failed, startedAt: started, updatedAt: Date(), finished: finished,
                             sendingSince: $0.sendingSince, doneWhenSendingStarted: $0.doneWhenSendingStarted)
            }
        }
        let report: @Sendable (Bool) async -> Void = { finished in
            await invocation.progress.report(snapshot(finished))
        }
        await report(false)
        logger.info("bulk sync started", metadata: ["users": "\(total)", "groups": "\(kind.groups)",
                                                    "nicknames": "\(kind.nicknames)", "usernames": "\(kind.usernames)"])
        guard total > 0 else {
            await report(true)
            return .success(["total": 0, "changed": 0, "failed": 0])
        }

        let reporter = startProgressReporter(invocation, total: total, snapshot: snapshot)
        defer { reporter.cancel() }

        let prepared = try await prepareRoles(kind: kind, users: users, logger: logger)

        // Members: pages of 1,000 (without the intent, one GET per linked user). Each page is planned as
        // soon as it arrives and its changes go to the senders at once, so sending overlaps the listing
        // (at 100,000 members the listing alone takes 90 s of the list route's limit).
        var planner = BulkPlanner(kind: kind, users: users, desired: prepared.desired, index: prepared.index,
                                  ownerID: prepared.ownerID, guildID: options.guildID)
        let width = max(1, options.bulkConcurrencyPerBucket)
        let (patchStream, patchInput) = AsyncStream<BulkAction>.makeStream()
        let (roleStream, roleInput) = AsyncStream<BulkAction>.makeStream()
        async let sent: Void = sendAll(patches: patchStream, roleChanges: roleStream, width: width, counters: counters, logger: logger)
        var listingError: (any Error)?
        do {
            let failedReads = try await listMembers(of: users, logger: logger) { page in
                // Stale roles cache: reload once when a member holds an unknown role id.
                if planner.needsRoleReload(page) {
                    planner.useReloadedRoles(try await self.roles(refresh: true), reservedNames: prepared.reserved)
                }
                let plan = planner.plan(page: page)
                counters.withLock {
                    $0.done += plan.unchanged.count
                    $0.synced += plan.unchanged
                }
                guard !plan.routed.isEmpty else { return }
                // Marks of single tasks' changes older than this plan say nothing about the page just read.
                await self.clearChangedMarks(uids: plan.routed.map(\.action.uid))
                counters.withLock {
                    if $0.sendingSince == nil {
                        $0.sendingSince = Date()
                        $0.doneWhenSendingStarted = $0.done
                    }
                }
                // PATCH bucket and role bucket in parallel (the planner balanced single-role changes).
                for (action, route) in plan.routed {
                    switch route {
                    case .roleRoute: roleInput.yield(action)
                    case .patch: patchInput.yield(action)
                    }
                }
            }
            if failedReads == nil {
                planner.finishFullListing()
            } else if let failedReads {
                counters.withLock {
                    $0.failed += failedReads.count
                    if kind.groups { $0.failedGroups += failedReads }
                    if kind.nicknames { $0.failedNicks += failedReads }
                }
            }
        } catch {
            listingError = error
        }
        patchInput.finish()
        roleInput.finish()
        await sent
        if let listingError { throw listingError }

        if !planner.unassignable.isEmpty {
            logger.warning("roles at or above the bot's highest role are not assigned: move the bot's role above them in the server settings",
                           metadata: ["roles": "\(planner.unassignable.sorted().joined(separator: ", "))"])
        }
        // Usernames: database only, no request.
        for update in planner.usernameUpdates {
            try await database.updateDiscordUsername(userPK: update.pk, username: update.username, discriminator: update.discriminator)
        }
        if !kind.groups && !kind.nicknames {
            counters.withLock { $0.changed += planner.usernameUpdates.count }
        }
        // Not members any more: AA's delete path.
        for pk in planner.notMembers {
            try await enqueueDeleteUser(pk, logger: logger.with(userPK: pk))
        }
        counters.withLock { $0.done += planner.notMembers.count }
        logger.info("bulk sync sent", metadata: [
            "patch": "\(planner.patches)", "role_route": "\(planner.roleChanges)",
            "not_members": "\(planner.notMembers.count)", "usernames": "\(planner.usernameUpdates.count)",
        ])

        // Post-sync state for single tasks arriving meanwhile; failures re-enqueued as single tasks.
        let final = counters.withLock { $0 }
        await storeMembers(final.synced)
        for pk in Set(final.failedGroups).sorted() { _ = try? await enqueue("discord.update_groups", args: [.int(pk)]) }
        for pk in Set(final.failedNicks).sorted() { _ = try? await enqueue("discord.update_nickname", args: [.int(pk)]) }
        // Stop the periodic reporter and wait for it: a report it is writing must not land after (and
        // overwrite) the final one.
        reporter.cancel()
        await reporter.value
        await report(true)
        let elapsed = Date().timeIntervalSince(started)
        logger.info("bulk sync finished", metadata: [
            "total": "\(total)", "changed": "\(final.changed)", "failed": "\(final.failed)",
            "not_members": "\(planner.notMembers.count)", "seconds": "\(String(format: "%.1f", elapsed))",
        ])
        return .success(["total": JSONValue(total), "changed": JSONValue(final.changed), "failed": JSONValue(final.failed)])
    }

    /// What a bulk sync needs of the guild's roles, read once (missing ones created once, up front).
    struct BulkRoles {
        var desired: [Int64: Set<String>] = [:]
        var index: GuildRoleIndex?
        var reserved: [String] = []
        var ownerID: UInt64?
    }

    private func prepareRoles(kind: BulkKind, users: [LinkedUser], logger: Logger) async throws -> BulkRoles {
        var prepared = BulkRoles()
        guard kind.groups || kind.nicknames else { return prepared }
        var roles = try await self.roles()
        let place = try await hierarchy(roles: roles)
        prepared.ownerID = place.ownerID
        guard kind.groups else { return prepared }
        prepared.reserved = try await database.reservedGroupNames()
        var all = Set<String>()
        for user in users {
            let names = RoleNames.calculate(groupNames: user.profile.groupNames, stateName: nil,
                                            profileStateName: user.profile.stateName)
            prepared.desired[user.userPK] = names
            all.formUnion(names)
        }
        let probe = GuildRoleIndex(roles: roles, guildID: options.guildID, botTopPosition: place.botTop, reservedNames: prepared.reserved)
        let missing = RoleSync.plan(desiredNames: all, memberRoleIDs: [UInt64](), index: probe).missingNames
        var botTop = place.botTop
        if !missing.isEmpty {
            roles = try await createMissingRoles(missing, roles: roles, logger: logger)
            botTop = try await hierarchy(roles: roles).botTop
        }
        prepared.index = GuildRoleIndex(roles: roles, guildID: options.guildID, botTopPosition: botTop, reservedNames: prepared.reserved)
        return prepared
    }

    /// Reads the guild's members page by page and hands each page (user id → member; nil = a linked
    /// user who is not in the guild) to `page`. Returns nil after a full listing (linked users in no
    /// page are not members), or the users whose one-by-one read failed (no GUILD_MEMBERS intent).
    private func listMembers(of users: [LinkedUser], logger: Logger,
                             page: ([UInt64: GuildMember?]) async throws -> Void) async throws -> [Int64]? {
        let size = 1000
        var after: Snowflake? = nil
        // Bounded: each page must advance `after`; 10 million members at most.
        for _ in 0..<(10_000_000 / size + 1) {
            let listed: [GuildMember]
            do {
                listed = try await client.listMembers(guild: guild, limit: size, after: after)
            } catch {
                guard error.code == .missingAccess, after == nil else { throw error }
                logger.warning("listing members needs the GUILD_MEMBERS intent (enable it in the developer portal): reading members one by one")
                let (members, failed) = await readMembersOneByOne(users)
                try await page(members)
                return failed
            }
            var members: [UInt64: GuildMember?] = [:]
            for member in listed {
                if let id = member.user?.id.rawValue { members[id] = .some(member) }
            }
            try await page(members)
            guard listed.count >= size, let highest = listed.compactMap({ $0.user?.id }).max() else { break }
            if let after, highest <= after { break }
            after = highest
        }
        return nil
    }

    /// Sends the planned changes as they come: up to `width` at once per bucket.
    private func sendAll(patches: AsyncStream<BulkAction>, roleChanges: AsyncStream<BulkAction>, width: Int,
                         counters: Shared<BulkCounters>, logger: Logger) async {
        async let patched: Void = drain(patches, roleRoute: false, width: width, counters: counters, logger: logger)
        async let roled: Void = drain(roleChanges, roleRoute: true, width: width, counters: counters, logger: logger)
        _ = await (patched, roled)
    }

    private func drain(_ stream: AsyncStream<BulkAction>, roleRoute: Bool, width: Int, counters: Shared<BulkCounters>,
                       logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await action in stream {
                if running >= width {
                    await group.next()
                    running -= 1
                }
                group.addTask { await self.apply(action, roleRoute: roleRoute, counters: counters, logger: logger) }
                running += 1
            }
        }
    }

    /// Sends one member's change under the worker's per-user lock.
    private func apply(_ action: BulkAction, roleRoute: Bool, counters: Shared<BulkCounters>, logger: Logger) async {
        let log = logger.with(userPK: action.pk)
        let lock = locks.user(action.pk, token: "bulk-" + UUID().uuidString)
        var outcome: Result<Bool, any Error>
        do {
            try await lock.acquire(waitUpTo: .seconds(10))
            do {
                let user = Snowflake(action.uid)
                if let mark = await changedBySingleTask(uid: action.uid), action.isSatisfied(by: mark) {
                    // A single task (AA's reaction to this member's change) got there first.
                    log.debug("member already changed by a single task: nothing sent")
                    outcome = .success(true)
                } else if roleRoute, let single = action.singleRole {
                    let ok = single.add
                        ? try await client.addMemberRole(guild: guild, user: user, role: Snowflake(single.role))
                        : try await client.removeMemberRole(guild: guild, user: user, role: Snowflake(single.role))
                    outcome = .success(ok)
                } else {
                    let result = try await client.modifyMember(guild: guild, user: user, roles: action.roles?.map { Snowflake($0) },
                                                               nick: action.nick.map { .some($0) })
                    if case .notMember = result { outcome = .success(false) } else { outcome = .success(true) }
                }
            } catch {
                outcome = .failure(error)
            }
            _ = try? await lock.release()
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(true):
            counters.withLock {
                $0.done += 1
                $0.changed += 1
                $0.synced.append((action.uid, action.after))
            }
        case .success(false):
            counters.withLock { $0.done += 1 }
            try? await enqueueDeleteUser(action.pk, logger: log)
        case .failure(let error):
            log.warning("bulk change failed: re-enqueued as a single task", metadata: ["error": "\(error)"])
            counters.withLock {
                $0.done += 1
                $0.failed += 1
                if action.changesGroups { $0.failedGroups.append(action.pk) }
                if action.changesNick { $0.failedNicks.append(action.pk) }
            }
        }
    }

    /// Fallback without the GUILD_MEMBERS intent: GET each linked member (nil entry = not a member).
    private func readMembersOneByOne(_ users: [LinkedUser]) async -> (members: [UInt64: GuildMember?], failed: [Int64]) {
        let width = max(1, options.bulkConcurrencyPerBucket)
        let results = Shared<(members: [UInt64: GuildMember?], failed: [Int64])>(([:], []))
        let next = Ticket()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<min(width, users.count) {
                group.addTask {
                    while true {
                        let i = next.next()
                        guard i < users.count else { return }
                        let uid = UInt64(bitPattern: users[i].link.uid)
                        do {
                            let member = try await self.client.getMember(guild: self.guild, user: Snowflake(uid))
                            results.withLock { $0.members[uid] = .some(member) }
                        } catch {
                            results.withLock { $0.failed.append(users[i].userPK) }
                        }
                    }
                }
            }
        }
        return results.withLock { $0 }
    }
}

extension Logger {
    func with(userPK: Int64) -> Logger {
        var copy = self
        copy[metadataKey: "user_pk"] = "\(userPK)"
        return copy
    }
}
