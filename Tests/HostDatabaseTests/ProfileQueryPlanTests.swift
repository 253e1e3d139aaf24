import HostDatabase
import Testing

/// The backend-neutral half of the profile reads, without a database: chunks and row assembly.
@Suite("ProfileQueryPlan")
struct ProfileQueryPlanTests {
    /// A row as either backend hands it over: integers, text or NULL.
    struct FakeRow: HostRowReading {
        enum Value { case int(Int64), text(String), null }
        let values: [Value]
        let table: String

        func int64(_ index: Int) -> Int64? {
            if case .int(let value) = values[index] { value } else { nil }
        }

        func string(_ index: Int) -> String? {
            if case .text(let value) = values[index] { value } else { nil }
        }

        func isNull(_ index: Int) -> Bool {
            if case .null = values[index] { true } else { false }
        }
    }

    @Test func chunksAreSortedUniqueAndBounded() {
        #expect(ProfileQueryPlan.chunks(nil) == [nil])
        #expect(ProfileQueryPlan.chunks([]) == [])
        #expect(ProfileQueryPlan.chunks([3, 1, 3, 2]) == [[1, 2, 3]])
        let many = ProfileQueryPlan.chunks(Array((1...1_001).reversed()).map(Int64.init))
        #expect(many.map { $0?.count } == [500, 500, 1])
        #expect(many.first??.first == 1 && many.last??.first == 1_001)
    }

    @Test func rowsAssembleIntoProfilesWithTheirGroupsInOrder() throws {
        let linked: [FakeRow.Value] = [
            .int(7), .text("alice"), .int(7), .int(1234), .text("alice#1"), .text("0"), .text("2024-01-02 03:04:05"),
            .int(2), .text("Member"), .int(9), .int(95_465_499), .text("Bob"), .int(98_000_001), .text("Corp"), .text("CRP"),
            .null, .null, .null,
        ]
        let unlinked: [FakeRow.Value] = [.int(8), .text("bob")] + Array(repeating: .null, count: 16)
        var assembly = ProfileQueryPlan.Assembly()
        #expect(assembly.isEmpty)
        for values in [linked, unlinked] {
            try assembly.addUser(formats: [2: "{character_name}"]) { FakeRow(values: values, table: $0) }
        }
        let names: [Int64: String] = [1: "Alliance", 2: "Ignored", 3: "Corporation"]
        for (pk, group) in [(7, 1), (99, 2), (7, 3)] {
            try assembly.addGroup(names: names) { FakeRow(values: [.int(Int64(pk)), .int(Int64(group))], table: $0) }
        }
        // A membership of a group the snapshot does not have is an error, not a silently missing role.
        #expect(throws: HostDatabaseError.self) {
            try assembly.addGroup(names: names) { FakeRow(values: [.int(7), .int(42)], table: $0) }
        }
        let alice = try #require(assembly.entries.first)
        #expect(alice.link?.uid == 1234 && alice.link?.username == "alice#1" && alice.link?.activated != nil)
        #expect(alice.profile.groupNames == ["Alliance", "Corporation"])
        #expect(alice.profile.stateName == "Member" && alice.profile.nicknameFormat == "{character_name}")
        #expect(alice.profile.mainCharacter?.characterName == "Bob" && alice.profile.mainCharacter?.allianceID == nil)
        #expect(assembly.entries.last?.link == nil && assembly.entries.last?.profile.mainCharacter == nil)
    }

    @Test func aNullInARequiredColumnIsAnErrorNamingTheColumn() {
        var assembly = ProfileQueryPlan.Assembly()
        let row: [FakeRow.Value] = [.int(7), .null] + Array(repeating: .null, count: 16)
        #expect {
            try assembly.addUser(formats: [:]) { FakeRow(values: row, table: $0) }
        } throws: { error in
            (error as? HostDatabaseError)?.description.contains("auth_user.username is NULL") == true
        }
    }
}
