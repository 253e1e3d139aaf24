// The guild the benchmarks and the demo seed into the sandbox: one role per group/state name the AA
// database uses, the bot above them all, and one member per linked user whose roles and nickname
// match what the worker should compute (with the worker's own Domain code), except a deterministic
// fraction made out of date.

import DiscordSandbox
import DiscordTasks
import Foundation
import HostDatabase
import HostDatabaseSQLite

/// What one linked user's Discord member should look like after a sync.
struct DesiredMember: Sendable {
    var userPK: Int64
    var uid: UInt64
    var username: String
    var roleNames: Set<String>
    /// nil: the worker sends no nickname (no main character); the member keeps the seeded one.
    var nick: String?
}

/// How a member was made out of date (each needs a different request).
enum DriftKind: String, Sendable, CaseIterable {
    /// One desired role missing: a single role PUT.
    case missingRole = "missing role"
    /// One undesired role held: a single role DELETE.
    case extraRole = "extra role"
    /// Wrong nickname: a PATCH with `nick`.
    case wrongNick = "wrong nick"
    /// A role missing and an extra one (and the nickname wrong when there is one): a PATCH.
    case several = "several"
}

struct BenchGuild: Sendable {
    static let guildID: UInt64 = 800_000_000_000_000_001
    static let botToken = "bench-bot-token"
    static let ownerID: UInt64 = 200_000_000_000_000_001
    static let firstRoleID: UInt64 = 500_000_000_000_001_000

    var desired: [DesiredMember]
    /// Role name → id, for every role the guild has at the start (plus `absentRoleNames`' future ones: none).
    var roleIDs: [String: UInt64]
    var seed: SandboxSeed
    /// Drifted members by kind.
    var drift: [DriftKind: Int]
    var driftedUIDs: Set<UInt64>

    var changedMembers: Int { driftedUIDs.count }

    /// Reads the AA database and computes each linked user's desired roles and nickname with the
    /// worker's Domain code (`RoleNames.calculate`, `Nickname.forUser`).
    static func desiredMembers(databasePath: String) async throws -> [DesiredMember] {
        let database = try SQLiteHostDatabase(path: databasePath)
        let members: [DesiredMember]
        do { members = try await desiredMembers(database: database) } catch { await database.close(); throw error }
        await database.close()
        return members
    }

    /// `desiredMembers` from any backend.
    static func desiredMembers(database: any HostDatabase) async throws -> [DesiredMember] {
        let linked = try await database.linkedUsers(pks: nil)
        return linked.map { user in
            let names = RoleNames.calculate(
                groupNames: user.profile.groupNames, stateName: nil, profileStateName: user.profile.stateName)
            let nick = (try? Nickname.forUser(profile: user.profile)) ?? nil
            return DesiredMember(
                userPK: user.userPK, uid: UInt64(user.link.uid), username: user.link.username, roleNames: names, nick: nick)
        }
    }

    /// Builds the seed.
    ///
    /// - Parameters:
    ///   - driftFraction: the fraction of members made out of date (spread evenly, deterministic).
    ///   - kinds: the drift kinds to cycle through (the default mixes both Discord buckets).
    ///   - absentRoleNames: role names the guild lacks at the start (the worker must create them).
    ///   - onlyUIDs: restrict drift to these members (nil: all).
    static func make(
        desired: [DesiredMember], driftFraction: Double,
        kinds: [DriftKind] = [.missingRole, .wrongNick, .extraRole, .several],
        absentRoleNames: Set<String> = [], driftCount: Int? = nil, driftNicks: Bool = true
    ) -> BenchGuild {
        var allNames = Set<String>()
        for member in desired { allNames.formUnion(member.roleNames) }
        let names = allNames.sorted()
        var roles: [SandboxRole] = []
        var roleIDs: [String: UInt64] = [:]
        for (index, name) in names.enumerated() where !absentRoleNames.contains(name) {
            let id = firstRoleID + UInt64(index)
            roles.append(SandboxRole(id: id, name: name, position: index + 1))
            roleIDs[name] = id
        }
        // Headroom for created roles below the bot.
        let botPosition = names.count + 50
        let sortedRoleIDs = roleIDs.values.sorted()

        let count = driftCount ?? Int((driftFraction * Double(desired.count)).rounded())
        var driftIndexes: [Int: DriftKind] = [:]
        if count > 0, !desired.isEmpty {
            for j in 0..<min(count, desired.count) {
                driftIndexes[j * desired.count / min(count, desired.count)] = kinds[j % kinds.count]
            }
        }

        var members: [SandboxMember] = [
            SandboxMember(user: SandboxUser(id: ownerID, username: "guildowner", globalName: "Owner"))
        ]
        members.reserveCapacity(desired.count + 1)
        var drift: [DriftKind: Int] = [:]
        var driftedUIDs = Set<UInt64>()
        for (index, member) in desired.enumerated() {
            var held = member.roleNames.compactMap { roleIDs[$0] }.sorted()
            var nick = member.nick
            if var kind = driftIndexes[index] {
                if kind == .wrongNick, member.nick == nil || !driftNicks { kind = .several }
                let undesired = sortedRoleIDs.first { id in !held.contains(id) }
                switch kind {
                case .missingRole:
                    if !held.isEmpty { held.removeFirst() }
                case .extraRole:
                    if let undesired { held.append(undesired) }
                case .wrongNick:
                    nick = "Out Of Date \(member.userPK)"
                case .several:
                    if !held.isEmpty { held.removeFirst() }
                    if let undesired { held.append(undesired) }
                    if driftNicks, member.nick != nil { nick = "Out Of Date \(member.userPK)" }
                }
                drift[kind, default: 0] += 1
                driftedUIDs.insert(member.uid)
            }
            // Members whose desired roles are absent from the guild will change too.
            if member.roleNames.contains(where: absentRoleNames.contains) { driftedUIDs.insert(member.uid) }
            members.append(SandboxMember(
                user: SandboxUser(id: member.uid, username: member.username), nick: nick, roles: held))
        }
        let seed = SandboxSeed(
            guildName: "Bench Alliance", ownerID: ownerID, botRolePosition: botPosition, roles: roles, members: members)
        return BenchGuild(desired: desired, roleIDs: roleIDs, seed: seed, drift: drift, driftedUIDs: driftedUIDs)
    }

    /// Writes the seed as the sandbox's `--seed` file.
    func writeSeed(to path: String) throws {
        let data = try JSONEncoder().encode(seed)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Members of `state` that do not match the desired state (roles by name, nickname when one is desired).
    static func mismatches(desired: [DesiredMember], state: SandboxSeed, checkNicks: Bool = true) -> [String] {
        let namesByID = Dictionary(state.roles.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let membersByID = Dictionary(state.members.map { ($0.user.id, $0) }, uniquingKeysWith: { first, _ in first })
        var problems: [String] = []
        for member in desired {
            guard let actual = membersByID[member.uid] else {
                problems.append("uid \(member.uid): not a member any more")
                continue
            }
            let held = Set(actual.roles.compactMap { namesByID[$0] })
            if held != member.roleNames {
                let missing = member.roleNames.subtracting(held).sorted()
                let extra = held.subtracting(member.roleNames).sorted()
                problems.append("uid \(member.uid): roles missing \(missing) extra \(extra)")
            }
            if checkNicks, let nick = member.nick, actual.nick != nick {
                problems.append("uid \(member.uid): nick \(actual.nick ?? "nil") != \(nick)")
            }
        }
        return problems
    }
}
