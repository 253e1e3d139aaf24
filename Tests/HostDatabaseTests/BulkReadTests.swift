import Foundation
import HostDatabase
import HostDatabaseSQLite
import Testing
import TestSupport

/// `linkedUsers(pks:)` on a generated database of 10,000 users: correctness of the set-based reads
/// (timing belongs to the benchmark).
@Suite struct BulkReadTests {
    @Test func tenThousandUsersReadInOnePassMatchPerUserReads() async throws {
        try await withTemporaryDirectory { directory in
            let generated = try AADatabaseBuilder.generate(path: directory + "/big.db", users: 10_000, seed: 7)
            try await withSQLite(generated.path) { database in
                #expect(generated.userPKs.count == 10_000)
                #expect((8_700...9_300).contains(generated.linkedUserPKs.count))
                #expect((9_300...9_700).contains(generated.usersWithMain))

                let all = try await database.linkedUsers(pks: nil)
                #expect(all.map(\.userPK) == generated.linkedUserPKs)
                // Rollback-journal file: read in short transactions of 2,000 users (AA's writers are not blocked).
                #expect(!database.usesWAL)
                #expect(database.lastBulkRead?.transactions == (all.count + 1_999) / 2_000)
                for user in all {
                    #expect(user.link.uid == AADatabaseBuilder.generatedUIDBase + user.userPK)
                    #expect(user.link.username == "user\(user.userPK)")
                    #expect(user.profile.nicknameFormat == (user.profile.stateName == "Member"
                        ? AADatabaseBuilder.generatedNameFormat : nil))
                    #expect(Set(user.profile.groupNames).isSubset(of: AADatabaseBuilder.generatedGroupPool))
                }
                #expect(all.contains { $0.profile.groupNames.contains { $0.unicodeScalars.count > 100 } })
                #expect(all.contains { $0.profile.groupNames.contains("Fleet Commanders 🚀") })
                #expect(all.contains { $0.profile.mainCharacter == nil })
                #expect(all.contains { $0.profile.mainCharacter?.allianceID == nil && $0.profile.mainCharacter != nil })

                // The chunked path (explicit pks, 500 per chunk) returns the same, unlinked pks dropped.
                let chunked = try await database.linkedUsers(pks: generated.userPKs.reversed())
                #expect(chunked == all)

                // A sample against the per-user reads.
                for user in all where user.userPK % 97 == 0 {
                    #expect(try await database.syncProfile(userPK: user.userPK) == user.profile)
                    #expect(try await database.discordLink(userPK: user.userPK) == user.link)
                }
            }
        }
    }

    @Test func chunkBoundariesLoseNothing() async throws {
        try await withTemporaryDirectory { directory in
            let generated = try AADatabaseBuilder.generate(path: directory + "/mid.db", users: 1_200, seed: 3)
            try await withSQLite(generated.path) { database in
                let linked = generated.linkedUserPKs
                for count in [499, 500, 501, 1_000, 1_001] where count <= linked.count {
                    let pks = Array(linked.prefix(count))
                    let users = try await database.linkedUsers(pks: pks)
                    #expect(users.map(\.userPK) == pks)
                }
            }
        }
    }

    @Test func generationIsDeterministicPerSeed() async throws {
        try await withTemporaryDirectory { directory in
            let first = try AADatabaseBuilder.generate(path: directory + "/a.db", users: 300, seed: 11)
            let second = try AADatabaseBuilder.generate(path: directory + "/b.db", users: 300, seed: 11)
            let other = try AADatabaseBuilder.generate(path: directory + "/c.db", users: 300, seed: 12)
            let a = try await withSQLite(first.path) { try await $0.linkedUsers(pks: nil) }
            let b = try await withSQLite(second.path) { try await $0.linkedUsers(pks: nil) }
            let c = try await withSQLite(other.path) { try await $0.linkedUsers(pks: nil) }
            #expect(a == b)
            #expect(a != c)
        }
    }
}
