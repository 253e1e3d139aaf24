import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Hierarchy, managed roles, the owner: 403 50013")
struct HierarchyTests {
    let g = IDs.guild

    private func expectMissingPermissions(_ response: TestClient.Response, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == .forbidden, sourceLocation: sourceLocation)
        #expect(response.object["message"] as? String == "Missing Permissions", sourceLocation: sourceLocation)
        #expect(response.errorCode == 50013, sourceLocation: sourceLocation)
    }

    @Test func rolesAtOrAboveTheBotCannotBeAssignedOrRemoved() async throws {
        try await withSandbox { server, client in
            let user = IDs.user(2)
            // Above the bot.
            expectMissingPermissions(try await client.api(.put, "guilds/\(g)/members/\(user)/roles/\(IDs.admin)"))
            expectMissingPermissions(try await client.api(.delete, "guilds/\(g)/members/\(IDs.owner)/roles/\(IDs.admin)"))
            // The bot's own role (managed, and at its position).
            expectMissingPermissions(try await client.api(.put, "guilds/\(g)/members/\(user)/roles/\(IDs.botRole)"))
            // A role at exactly the bot's position.
            server.state.upsertRole(SandboxRole(id: 700, name: "Peer", position: server.state.botTopPosition))
            expectMissingPermissions(try await client.api(.put, "guilds/\(g)/members/\(user)/roles/700"))
            #expect(server.state.member(user)?.roles == [])
            #expect(await server.stats().invalidRequests == 4)
        }
    }

    @Test func managedRolesCannotBeAddedOrRemoved() async throws {
        var seed = SandboxSeed.generated(memberCount: 5)
        seed.members[3].roles = [SandboxSeed.boosterRoleID, IDs.member]
        try await withSandbox(seed: seed) { server, client in
            let booster = IDs.user(3)
            expectMissingPermissions(try await client.api(.put, "guilds/\(g)/members/\(IDs.user(2))/roles/\(IDs.booster)"))
            expectMissingPermissions(try await client.api(.delete, "guilds/\(g)/members/\(booster)/roles/\(IDs.booster)"))
            // A full-list PATCH that omits the managed role the member has → 403.
            expectMissingPermissions(try await client.api(
                .patch, "guilds/\(g)/members/\(booster)", json: #"{"roles": ["\#(IDs.alliance)"]}"#))
            #expect(server.state.member(booster)?.roles == [IDs.booster, IDs.member])
            // Carrying it over is fine.
            let kept = try await client.api(
                .patch, "guilds/\(g)/members/\(booster)", json: #"{"roles": ["\#(IDs.booster)", "\#(IDs.alliance)"]}"#)
            #expect(kept.status == .ok)
            #expect(server.state.member(booster)?.roles == [IDs.booster, IDs.alliance])
            // PATCH adding a role above the bot → 403.
            expectMissingPermissions(try await client.api(
                .patch, "guilds/\(g)/members/\(booster)", json: #"{"roles": ["\#(IDs.booster)", "\#(IDs.alliance)", "\#(IDs.admin)"]}"#))
        }
    }

    @Test func ownerCannotBeRenamedOrKicked() async throws {
        try await withSandbox { server, client in
            expectMissingPermissions(try await client.api(.patch, "guilds/\(g)/members/\(IDs.owner)", json: #"{"nick": "Boss"}"#))
            expectMissingPermissions(try await client.api(.delete, "guilds/\(g)/members/\(IDs.owner)"))
            #expect(server.state.member(IDs.owner) != nil)
            // Roles below the bot can still be given to the owner.
            #expect(try await client.api(.put, "guilds/\(g)/members/\(IDs.owner)/roles/\(IDs.member)").status == .noContent)
        }
    }

    @Test func ownerWithoutRolesIsStillProtected() async throws {
        var seed = SandboxSeed.generated(memberCount: 3)
        seed.members[0].roles = []
        try await withSandbox(seed: seed) { _, client in
            expectMissingPermissions(try await client.api(.patch, "guilds/\(g)/members/\(IDs.owner)", json: #"{"nick": null}"#))
            expectMissingPermissions(try await client.api(.delete, "guilds/\(g)/members/\(IDs.owner)"))
        }
    }

    @Test func membersAtOrAboveTheBotCannotBeRenamedOrKicked() async throws {
        var seed = SandboxSeed.generated(memberCount: 5)
        seed.members[2].roles = [SandboxSeed.adminRoleID]
        try await withSandbox(seed: seed) { server, client in
            let admin = IDs.user(2)
            expectMissingPermissions(try await client.api(.patch, "guilds/\(g)/members/\(admin)", json: #"{"nick": "x"}"#))
            expectMissingPermissions(try await client.api(.delete, "guilds/\(g)/members/\(admin)"))
            // A member with an equal top role (another bot's role at the same position).
            server.state.upsertRole(SandboxRole(id: 701, name: "Other bot", position: server.state.botTopPosition, managed: true))
            var peer = try #require(server.state.member(IDs.user(3)))
            peer.roles = [701]
            server.state.upsertMember(peer)
            expectMissingPermissions(try await client.api(.patch, "guilds/\(g)/members/\(IDs.user(3))", json: #"{"nick": "x"}"#))
            // Role changes on such a member are allowed when the roles themselves are below the bot.
            let roles = try await client.api(.put, "guilds/\(g)/members/\(admin)/roles/\(IDs.member)")
            #expect(roles.status == .noContent)
            // Ordinary members: fine.
            #expect(try await client.api(.patch, "guilds/\(g)/members/\(IDs.user(4))", json: #"{"nick": "ok"}"#).status == .ok)
        }
    }

    @Test func everyoneIsNeverInMemberRoles() async throws {
        var seed = SandboxSeed.generated(memberCount: 3)
        seed.members[1].roles = [IDs.guild, IDs.member]
        try await withSandbox(seed: seed) { server, client in
            #expect(server.state.member(IDs.user(1))?.roles == [IDs.member])
            let response = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
            #expect(response.object["roles"] as? [String] == [String(IDs.member)])
        }
    }

    @Test func lingeringDeletedRoleIdsAreTolerated() async throws {
        var seed = SandboxSeed.generated(memberCount: 3)
        seed.members[1].roles = [424242, IDs.member]
        try await withSandbox(seed: seed) { server, client in
            // Keeping the deleted id in a full-list PATCH is accepted, dropping it too.
            let keep = try await client.api(.patch, "guilds/\(g)/members/\(IDs.user(1))", json: #"{"roles": ["424242", "\#(IDs.alliance)"]}"#)
            #expect(keep.status == .ok)
            let drop = try await client.api(.patch, "guilds/\(g)/members/\(IDs.user(1))", json: #"{"roles": []}"#)
            #expect(drop.status == .ok)
            #expect(server.state.member(IDs.user(1))?.roles == [])
        }
    }
}
