/// Everything `update_groups` and `update_nickname` read about one user (AA 5.5's
/// `allianceauth/services/modules/discord/core.py`: the user's groups and state, the main character for the nickname).
public struct SyncProfile: Sendable, Hashable {
    public var userPK: Int64
    /// `auth_user.username`.
    public var username: String
    /// Names of the user's Django groups, in database order (compare as a set).
    public var groupNames: [String]
    /// `authentication_userprofile.state_id`. AA creates a profile for every user, so nil only in a
    /// database that breaks that invariant.
    public var stateID: Int64?
    /// `authentication_state.name` of that state.
    public var stateName: String?
    /// The main character (`userprofile.main_character_id`), nil when the user has none.
    public var mainCharacter: EveCharacter?
    /// The `format` of the first `services_nameformatconfig` row with `service_name = 'discord'`
    /// linked to the user's state (lowest id first), nil when there is none.
    public var nicknameFormat: String?

    public init(
        userPK: Int64, username: String, groupNames: [String], stateID: Int64?, stateName: String?,
        mainCharacter: EveCharacter?, nicknameFormat: String?
    ) {
        self.userPK = userPK
        self.username = username
        self.groupNames = groupNames
        self.stateID = stateID
        self.stateName = stateName
        self.mainCharacter = mainCharacter
        self.nicknameFormat = nicknameFormat
    }
}
