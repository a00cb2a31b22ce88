/// The DDoS part of an edge's config: the operator's settings, each account's effective
/// settings, and core's mitigation overrides.
public struct EdgeDDoS: Codable, Equatable, Sendable {
    public var settings: DDoSSettings
    public var accounts: [Account]
    public var overrides: [MitigationOverride]

    /// One account's settings with the operator's defaults applied.
    public struct Account: Codable, Equatable, Sendable {
        public var accountID: String
        public var managed: ManagedRules
        public var detection: DetectionThreshold
        public var thresholds: [PrefixThreshold]
        public var synproxy: [ProtectedService]
        public var automaticMitigation: Bool

        enum CodingKeys: String, CodingKey {
            case managed, detection, thresholds, synproxy
            case accountID = "account_id"
            case automaticMitigation = "automatic_mitigation"
        }

        public init(accountID: String, managed: ManagedRules, detection: DetectionThreshold, thresholds: [PrefixThreshold] = [],
                    synproxy: [ProtectedService] = [], automaticMitigation: Bool) {
            self.accountID = accountID
            self.managed = managed
            self.detection = detection
            self.thresholds = thresholds
            self.synproxy = synproxy
            self.automaticMitigation = automaticMitigation
        }

        /// The operator's settings, overridden by the account's own.
        public init(accountID: String, settings: DDoSSettings, overrides: DDoSAccountSettings?) {
            self.init(accountID: accountID, managed: overrides?.effectiveManaged(over: settings.managed) ?? settings.managed,
                      detection: overrides?.detection ?? settings.detection, thresholds: overrides?.thresholds ?? [],
                      synproxy: overrides?.synproxy ?? [], automaticMitigation: overrides?.automaticMitigation ?? settings.mitigation.automatic)
        }
    }

    /// An account's settings; the operator's when core sent none for it.
    public func account(_ accountID: String) -> Account {
        accounts.first { $0.accountID == accountID } ?? Account(accountID: accountID, settings: settings, overrides: nil)
    }

    public init(settings: DDoSSettings = .init(), accounts: [Account] = [], overrides: [MitigationOverride] = []) {
        self.settings = settings
        self.accounts = accounts
        self.overrides = overrides
    }
}
