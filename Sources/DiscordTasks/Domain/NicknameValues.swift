public import HostDatabase

/// The keyword arguments AA's `NameFormatter.get_format_data()` passes to the format string:
/// empty/0/NULL fields become `""`, non-zero ids stay integers.
public struct NicknameValues: Sendable, Hashable {
    /// The keys a format may use.
    public static let keys = [
        "character_name", "character_id", "corp_ticker", "corp_name", "corp_id", "alliance_name", "alliance_id",
        "alliance_ticker", "username", "alliance_or_corp_name", "alliance_or_corp_ticker",
    ]

    public var characterName: String
    public var characterID: Int64?
    public var corporationName: String
    public var corporationID: Int64?
    public var corporationTicker: String
    public var allianceName: String
    public var allianceID: Int64?
    public var allianceTicker: String
    /// `auth_user.username`.
    public var username: String

    public init(
        characterName: String, characterID: Int64?, corporationName: String, corporationID: Int64?,
        corporationTicker: String, allianceName: String, allianceID: Int64?, allianceTicker: String, username: String
    ) {
        self.characterName = characterName
        self.characterID = characterID
        self.corporationName = corporationName
        self.corporationID = corporationID
        self.corporationTicker = corporationTicker
        self.allianceName = allianceName
        self.allianceID = allianceID
        self.allianceTicker = allianceTicker
        self.username = username
    }

    /// The values for a user's main character.
    public init(character: EveCharacter, username: String) {
        self.init(
            characterName: character.characterName, characterID: character.characterID,
            corporationName: character.corporationName, corporationID: character.corporationID,
            corporationTicker: character.corporationTicker, allianceName: character.allianceName,
            allianceID: character.allianceID, allianceTicker: character.allianceTicker, username: username)
    }

    /// The value of `key`, nil for a key AA does not define.
    public func value(forKey key: String) -> NicknameValue? {
        switch key {
        case "character_name": return .string(characterName)
        case "character_id": return Self.id(characterID)
        case "corp_ticker": return .string(corporationTicker)
        case "corp_name": return .string(corporationName)
        case "corp_id": return Self.id(corporationID)
        case "alliance_name": return .string(allianceName)
        case "alliance_id": return Self.id(allianceID)
        case "alliance_ticker": return .string(allianceTicker)
        case "username": return .string(username)
        case "alliance_or_corp_name": return .string(allianceName.isEmpty ? corporationName : allianceName)
        case "alliance_or_corp_ticker": return .string(allianceTicker.isEmpty ? corporationTicker : allianceTicker)
        default: return nil
        }
    }

    /// `x if x else ""` for an id.
    private static func id(_ value: Int64?) -> NicknameValue {
        guard let value, value != 0 else { return .string("") }
        return .int(value)
    }
}
