import DiscordAPI
import Foundation
import HostDatabase
import Logging
import PythonCompat
public import WorkerRuntime

/// `discord.add_user(user_pk, authorization_code)`: AA's OAuth linking (`DiscordUserManager.add_user` in
/// AA 5.5's `allianceauth/services/modules/discord/managers.py`) run by the worker.
extension DiscordSync {
    public func addUser(_ invocation: TaskInvocation) async -> TaskOutcome {
        await guarded(invocation) {
            let logger = invocation.logger
            guard let pk = invocation.int("user_pk") else { return .failure(reason: "bad arguments: user_pk must be an integer") }
            guard let code = invocation.string("authorization_code"), !code.isEmpty else {
                return .failure(reason: "bad arguments: authorization_code must be a non-empty string")
            }
            guard let user = try await database.user(pk: pk) else { return .failure(reason: "unknown user") }
            guard let appID = options.appID, let secret = options.appSecret, let callback = options.callbackURL else {
                return .failure(reason: "OAuth2 is not configured: set DISCORD_APP_ID, DISCORD_APP_SECRET and DISCORD_CALLBACK_URL")
            }
            let token: OAuthToken
            do {
                token = try await client.exchangeCode(code: code, redirectURI: callback, clientID: appID, clientSecret: Secret(secret))
            } catch let error as DiscordAPIError where !error.isRetryable && error.retryAfter == nil {
                // The code is single-use: retrying cannot help. The message names DISCORD_CALLBACK_URL on a redirect mismatch.
                return .failure(reason: error.message)
            }
            let discordUser = try await client.currentUser(bearer: token.accessToken)
            guard let profile = try await database.syncProfile(userPK: user.id) else { return .failure(reason: "unknown user") }
            let desired = RoleNames.calculate(groupNames: profile.groupNames, stateName: nil, profileStateName: profile.stateName)
            let reserved = try await database.reservedGroupNames()
            var roles = try await roles()
            var botTop = try await hierarchy(roles: roles).botTop
            let missing = RoleSync.plan(desiredNames: desired, guildRoles: roles, memberRoleIDs: [UInt64](), reservedNames: reserved,
                                        botTopPosition: botTop, guildID: options.guildID).missingNames
            if !missing.isEmpty {
                roles = try await createMissingRoles(missing, roles: roles, logger: logger)
                botTop = try await hierarchy(roles: roles).botTop
            }
            var nickname: String?
            if options.syncNames { nickname = (try? Nickname.forUser(profile: profile)) ?? nil }
            let uid = discordUser.id
            let existing = try await client.getMember(guild: guild, user: uid)
            let plan = RoleSync.plan(desiredNames: desired, guildRoles: roles, memberRoleIDs: existing?.roles.map(\.rawValue) ?? [],
                                     reservedNames: reserved, botTopPosition: botTop, guildID: options.guildID)
            logUnassignable(plan, logger: logger)
            let roleIDs = plan.sortedFinalRoleIDs.map { Snowflake($0) }
            var joined = false
            if existing == nil {
                switch try await client.addMember(guild: guild, user: uid, accessToken: token.accessToken, nick: nickname,
                                                  roles: roleIDs.isEmpty ? nil : roleIDs) {
                case .added: joined = true
                case .alreadyMember: break
                }
            }
            if !joined && (plan.needsChange || nickname != nil && nickname != existing?.nick) {
                let result = try await client.modifyMember(guild: guild, user: uid, roles: plan.needsChange ? roleIDs : nil,
                                                           nick: nickname.map { .some($0) })
                if case .notMember = result { return .retryAfterError("member left the guild while being linked") }
            }
            await forgetMember(uid: uid.rawValue)
            try await database.upsertDiscordLink(userPK: user.id, uid: Int64(bitPattern: uid.rawValue), username: discordUser.username,
                                                 discriminator: discordUser.discriminator ?? "0", activated: Date())
            logger.info("discord account linked", metadata: [
                "discord_user": "\(DiscordUsername.display(username: discordUser.username, discriminator: discordUser.discriminator ?? "0"))",
                "joined": "\(joined)",
            ])
            return .success(true)
        }
    }
}
