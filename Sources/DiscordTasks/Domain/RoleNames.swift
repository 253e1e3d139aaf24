import PythonCompat

/// The role names a user should have: the names of all the user's Django groups plus the state name, each
/// cut to 100 code points, as a set (AA 5.5's `calculate_roles_for_user`).
public enum RoleNames {
    /// Discord's role name limit, in code points; AA truncates names to it before matching.
    public static let maxLength = 100

    /// `name[:100]`, counting code points as Python does.
    public static func truncate(_ name: String) -> String {
        PythonText.prefix(name, codePoints: maxLength)
    }

    /// Group names plus the state name, each truncated to 100 code points, as a set.
    ///
    /// - Parameters:
    ///   - stateName: the task's `state_name` argument; it wins when non-empty.
    ///   - profileStateName: the user's state from the database, used otherwise.
    ///
    /// Empty names are left out: Discord has no role without a name, so AA's attempt to create one
    /// can only fail.
    public static func calculate(
        groupNames: some Sequence<String>, stateName: String?, profileStateName: String? = nil
    ) -> Set<String> {
        var names = Set<String>()
        for name in groupNames where !name.isEmpty {
            names.insert(truncate(name))
        }
        let state = stateName.flatMap { $0.isEmpty ? nil : $0 } ?? profileStateName
        if let state, !state.isEmpty {
            names.insert(truncate(state))
        }
        return names
    }
}
