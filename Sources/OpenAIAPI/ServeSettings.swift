import Foundation
import Engine
import JSON

/// Every `tern serve` setting, with its default; read in order from the defaults, a JSON
/// file (`--config`, e.g. Config/tern.json), `TERN_<NAME>` environment variables, then
/// command-line flags — each later source overriding the earlier ones.
public struct ServeSettings: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var apiKey: String?
    public var corsOrigin: String?
    public var servedModelName: String?
    public var maxNumSeqs = 32
    public var maxNumBatchedTokens = 256
    /// nil: the model's trained context, capped by what the KV pool holds.
    public var maxModelLen: Int?
    public var blockSize = 16
    /// Bytes of KV cache ("1GiB", "512MiB", or a byte count).
    public var kvCacheMemory = 1 << 30
    public var enablePrefixCaching = true
    public var maxWaiting = 256
    public var maxBodyBytes = 8 << 20
    public var maxConnections = 256
    /// Connections one client address may hold (0: no cap), and whether loopback clients are capped too.
    public var maxConnectionsPerAddress = 64
    public var capLoopbackConnections = false
    /// Seconds from a request's first byte to the end of its head.
    public var headerTimeout = 10.0
    /// Seconds from the end of the head to the end of the body, plus one per `bodyMinRate` bytes received.
    public var bodyTimeout = 20.0
    public var bodyMinRate = 500.0
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    public var shutdownTimeout = 10.0
    /// Responses API responses kept in memory (least recently used dropped first; 0: none).
    public var maxStoredResponses = 1000
    /// Speculative decoding, from vLLM's JSON form (nil: off).
    public var speculativeConfig: SpeculativeConfig?
    /// The chat page at `/`.
    public var ui = true

    public init() {}

    public static let keys = ["host", "port", "api_key", "cors_origin", "served_model_name", "max_num_seqs", "max_num_batched_tokens",
                       "max_model_len", "block_size", "kv_cache_memory", "enable_prefix_caching", "max_waiting",
                       "max_body_bytes", "max_connections", "max_connections_per_address", "cap_loopback_connections", "header_timeout",
                       "body_timeout", "body_min_rate", "shutdown_timeout", "ui", "max_stored_responses", "speculative_config"]

    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    /// Applies one setting given as text (from the environment, a flag or a JSON scalar).
    public mutating func set(_ key: String, _ text: String, source: String) throws {
        func int() throws -> Int {
            guard let v = Int(text), v >= 0 else { throw Invalid(description: "\(source): \(key) must be a non-negative integer, got '\(text)'") }
            return v
        }
        func bool() throws -> Bool {
            guard let b = ["true": true, "1": true, "false": false, "0": false][text.lowercased()] else {
                throw Invalid(description: "\(source): \(key) must be true or false")
            }
            return b
        }
        func number() throws -> Double {
            guard let v = Double(text), v >= 0, v.isFinite else { throw Invalid(description: "\(source): \(key) must be a non-negative number, got '\(text)'") }
            return v
        }
        switch key {
        case "host": host = text
        case "port": port = try int()
        case "api_key": apiKey = text.isEmpty ? nil : text
        case "cors_origin": corsOrigin = text.isEmpty ? nil : text
        case "served_model_name": servedModelName = text.isEmpty ? nil : text
        case "max_num_seqs": maxNumSeqs = try int()
        case "max_num_batched_tokens": maxNumBatchedTokens = try int()
        case "max_model_len": maxModelLen = try int()
        case "block_size": blockSize = try int()
        case "kv_cache_memory":
            guard let bytes = Self.parseBytes(text) else { throw Invalid(description: "\(source): kv_cache_memory must be like 1GiB, 512MiB or a byte count, got '\(text)'") }
            kvCacheMemory = bytes
        case "enable_prefix_caching": enablePrefixCaching = try bool()
        case "ui": ui = try bool()
        case "max_waiting": maxWaiting = try int()
        case "max_body_bytes": maxBodyBytes = try int()
        case "max_connections": maxConnections = try int()
        case "max_connections_per_address": maxConnectionsPerAddress = try int()
        case "cap_loopback_connections": capLoopbackConnections = try bool()
        case "header_timeout": headerTimeout = try number()
        case "body_timeout": bodyTimeout = try number()
        case "body_min_rate": bodyMinRate = try number()
        case "shutdown_timeout": shutdownTimeout = try number()
        case "max_stored_responses": maxStoredResponses = try int()
        case "speculative_config":
            do {
                speculativeConfig = ["", "null", "off"].contains(text.trimmingCharacters(in: .whitespaces)) ? nil : try SpeculativeConfig(json: text)
            } catch let error as SpeculativeConfig.Invalid {
                throw Invalid(description: "\(source): \(error.description)")
            }
        default: throw Invalid(description: "\(source): unknown setting \(key); known: \(Self.keys.joined(separator: ", "))")
        }
    }

    public mutating func load(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(description: "cannot read \(path)") }
        guard case .object(let fields) = try JSONParser.parse(Array(data)) else { throw Invalid(description: "\(path): expected a JSON object") }
        for (key, value) in fields {
            switch value {
            case .null: continue
            case .string(let s): try set(key, s, source: path)
            case .bool(let b): try set(key, b ? "true" : "false", source: path)
            case .number: try set(key, value.serialized, source: path)
            case .object where key == "speculative_config": try set(key, value.serialized, source: path)
            default: throw Invalid(description: "\(path): \(key) must be a string, number or boolean")
            }
        }
    }

    public mutating func loadEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws {
        for key in Self.keys { if let v = env["TERN_" + key.uppercased()] { try set(key, v, source: "TERN_" + key.uppercased()) } }
    }

    public static func parseBytes(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        for (suffix, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("G", 1 << 30), ("M", 1 << 20)] {
            if t.hasSuffix(suffix), let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v > 0 {
                return Int(v * Double(scale))
            }
        }
        return Int(t).flatMap { $0 > 0 ? $0 : nil }
    }
}
