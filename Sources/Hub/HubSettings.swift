import Foundation

/// Where the hub is, who we are, where files go: read from the same environment variables
/// as `huggingface_hub` (HF_ENDPOINT, HF_TOKEN or the token file, HF_HUB_OFFLINE, HF_HOME,
/// HF_HUB_CACHE).
public struct HubSettings: Sendable {
    public static let defaultEndpoint = "https://huggingface.co"

    /// No trailing slash.
    public var endpoint: String
    public var token: String?
    public var offline: Bool
    public var cache: HubCache
    /// Attempts per request on timeouts, dropped connections, 5xx and 429.
    public var maxAttempts = 5
    /// Seconds before the first retry; doubled after each, at most 30.
    public var backoff = 1.0

    public init(endpoint: String = HubSettings.defaultEndpoint, token: String? = nil, offline: Bool = false, cache: HubCache) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.token = token
        self.offline = offline
        self.cache = cache
    }

    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> HubSettings {
        let endpoint = env["HF_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultEndpoint
        let offline = ["1", "true", "yes", "on"].contains((env["HF_HUB_OFFLINE"] ?? "").lowercased())
        return HubSettings(endpoint: endpoint, token: token(env), offline: offline, cache: .fromEnvironment(env))
    }

    /// HF_TOKEN, else the legacy HUGGING_FACE_HUB_TOKEN, else the file `huggingface-cli login`
    /// writes (HF_TOKEN_PATH, default HF_HOME/token).
    static func token(_ env: [String: String]) -> String? {
        for name in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] {
            if let value = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        }
        let home = env["HF_HOME"] ?? ((env["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/huggingface")
        let path = env["HF_TOKEN_PATH"] ?? home + "/token"
        guard let data = FileManager.default.contents(atPath: (path as NSString).expandingTildeInPath),
              let value = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !value.isEmpty, !value.contains("\n") else { return nil }
        return value
    }
}
