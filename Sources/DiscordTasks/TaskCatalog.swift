public import CeleryProtocol
import PythonCompat
public import WorkerRuntime

/// Alliance Auth 5.5's `discord.*` task signatures: names, Python parameters (positional order and
/// defaults), and which tasks are `QueueOnce` (celery_once lock deleted at the final outcome).
/// The parameter names are part of the wire contract: messages bind them positionally or by keyword.
public enum AATaskCatalog {
    public struct Signature: Sendable {
        public var name: String
        public var parameters: [Parameter]
        public var usesOnceLock: Bool
        /// Per-user tasks never run twice at once for the same user.
        public var userParameter: String?
    }

    public static let signatures: [Signature] = [
        Signature(name: "discord.update_groups", parameters: [.required("user_pk"), .optional("state_name", default: .null)],
                  usesOnceLock: true, userParameter: "user_pk"),
        Signature(name: "discord.update_nickname", parameters: [.required("user_pk"), .optional("nickname", default: .null)],
                  usesOnceLock: true, userParameter: "user_pk"),
        Signature(name: "discord.update_username", parameters: [.required("user_pk")], usesOnceLock: true, userParameter: "user_pk"),
        Signature(name: "discord.delete_user", parameters: [.required("user_pk"), .optional("notify_user", default: false)],
                  usesOnceLock: true, userParameter: "user_pk"),
        Signature(name: "discord.update_servername", parameters: [], usesOnceLock: true),
        Signature(name: "discord.update_all_groups", parameters: [], usesOnceLock: false),
        Signature(name: "discord.update_groups_bulk", parameters: [.required("user_pks")], usesOnceLock: false),
        Signature(name: "discord.update_all_nicknames", parameters: [], usesOnceLock: false),
        Signature(name: "discord.update_nicknames_bulk", parameters: [.required("user_pks")], usesOnceLock: false),
        Signature(name: "discord.update_all_usernames", parameters: [], usesOnceLock: false),
        Signature(name: "discord.update_usernames_bulk", parameters: [.required("user_pks")], usesOnceLock: false),
        Signature(name: "discord.update_all", parameters: [], usesOnceLock: false),
        // Extension: OAuth linking run by the worker (AA does this in its web view).
        Signature(name: "discord.add_user", parameters: [.required("user_pk"), .required("authorization_code")],
                  usesOnceLock: false, userParameter: "user_pk"),
    ]

    public static func signature(_ name: String) -> Signature? { signatures.first { $0.name == name } }

    /// Registers every task name; those without a handler yet dead-letter with "not implemented yet",
    /// so no message ever vanishes.
    public static func registerPlaceholders(into registry: TaskRegistry) {
        for signature in signatures where registry.definition(signature.name) == nil {
            registry.register(TaskDefinition(name: signature.name, parameters: signature.parameters,
                                             usesOnceLock: signature.usesOnceLock, userParameter: signature.userParameter) { _ in
                .failure(reason: "not implemented yet")
            })
        }
    }
}
