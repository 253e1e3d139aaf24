/// The `eveonline_evecharacter` columns the nickname format keys read (AA 5.5's NameFormatter in
/// `allianceauth/services/hooks.py`).
public struct EveCharacter: Sendable, Hashable {
    public var characterID: Int64
    public var characterName: String
    public var corporationID: Int64
    public var corporationName: String
    public var corporationTicker: String
    /// NULL when the character's corporation is in no alliance.
    public var allianceID: Int64?
    public var allianceName: String
    public var allianceTicker: String

    public init(
        characterID: Int64, characterName: String, corporationID: Int64, corporationName: String,
        corporationTicker: String, allianceID: Int64? = nil, allianceName: String = "", allianceTicker: String = ""
    ) {
        self.characterID = characterID
        self.characterName = characterName
        self.corporationID = corporationID
        self.corporationName = corporationName
        self.corporationTicker = corporationTicker
        self.allianceID = allianceID
        self.allianceName = allianceName
        self.allianceTicker = allianceTicker
    }
}
