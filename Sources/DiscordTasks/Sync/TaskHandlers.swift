public import WorkerRuntime

extension AATaskCatalog {
    /// Registers the real handlers of every `discord.*` task, with the catalog's signatures.
    public static func register(_ sync: DiscordSync, into registry: TaskRegistry) {
        let all = BulkKind(groups: true, nicknames: sync.options.syncNames, usernames: true)
        let handlers: [String: @Sendable (TaskInvocation) async -> TaskOutcome] = [
            "discord.update_groups": { await sync.updateGroups($0) },
            "discord.update_nickname": { await sync.updateNickname($0) },
            "discord.update_username": { await sync.updateUsername($0) },
            "discord.delete_user": { await sync.deleteUser($0) },
            "discord.update_servername": { await sync.updateServername($0) },
            "discord.add_user": { await sync.addUser($0) },
            "discord.update_all_groups": { await sync.bulk($0, kind: BulkKind(groups: true), pksArgument: nil) },
            "discord.update_groups_bulk": { await sync.bulk($0, kind: BulkKind(groups: true), pksArgument: "user_pks") },
            "discord.update_all_nicknames": { await sync.bulk($0, kind: BulkKind(nicknames: true), pksArgument: nil) },
            "discord.update_nicknames_bulk": { await sync.bulk($0, kind: BulkKind(nicknames: true), pksArgument: "user_pks") },
            "discord.update_all_usernames": { await sync.bulk($0, kind: BulkKind(usernames: true, servername: true), pksArgument: nil) },
            "discord.update_usernames_bulk": { await sync.bulk($0, kind: BulkKind(usernames: true), pksArgument: "user_pks") },
            "discord.update_all": { await sync.bulk($0, kind: all, pksArgument: nil) },
        ]
        for signature in signatures {
            guard let handler = handlers[signature.name] else { continue }
            registry.register(TaskDefinition(name: signature.name, parameters: signature.parameters,
                                             usesOnceLock: signature.usesOnceLock, userParameter: signature.userParameter,
                                             handler: handler))
        }
        registerPlaceholders(into: registry)
    }
}
