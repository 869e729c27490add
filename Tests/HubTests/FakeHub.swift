import Foundation
import XCTest
import Hub

/// Starts `fake_hub.py` (a local fake of the Hugging Face hub, see its docstring) on
/// 127.0.0.1 and talks to its test hooks.
final class FakeHub {
    let process = Process()
    let port: Int
    /// The cache folders `client` made, removed with the hub (and any made beside it by `temporary`).
    private var caches: [URL] = []
    var endpoint: String { "http://127.0.0.1:\(port)" }

    init(bigMB: Int = 0) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fake_hub.py")
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tern-fake-hub-data")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, data.path] + (bigMB > 0 ? ["--big-mb", "\(bigMB)"] : [])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw NSError(domain: "FakeHub", code: 1, userInfo: [NSLocalizedDescriptionKey: "fake_hub.py exited before printing its port"]) }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NSError(domain: "FakeHub", code: 1, userInfo: [NSLocalizedDescriptionKey: "no port from fake_hub.py"])
        }
        self.port = port
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        for cache in caches { try? FileManager.default.removeItem(at: cache) }
    }

    /// A fresh path under the temporary directory, removed with the hub.
    func temporary(_ prefix: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        caches.append(url)
        return url
    }

    /// `/_stats`: bytes the CDN sent per key, Authorization headers it saw.
    func stats() throws -> (bytes: [String: Int64], cdnAuth: [String?]) {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: get("/_stats")) as? [String: Any])
        let bytes = (object["bytes"] as? [String: NSNumber] ?? [:]).mapValues(\.int64Value)
        let auth = (object["cdn_auth"] as? [Any] ?? []).map { $0 as? String }
        return (bytes, auth)
    }

    /// Makes the next `drops` GETs of CDN key `key` stop after 40% of the body.
    func armDrop(key: String, drops: Int = 1) throws {
        _ = try get("/_arm?key=\(key)&drops=\(drops)")
    }

    private func get(_ path: String) throws -> Data {
        var body = Data()
        let response = try HubTransfer().perform(.get, url: endpoint + path, headers: []) { _, bytes in body.append(contentsOf: bytes) }
        XCTAssertEqual(response.status, 200, path)
        return body
    }

    /// A client on a fresh, empty cache.
    func client(token: String? = nil, offline: Bool = false, attempts: Int = 3) throws -> (HubClient, URL) {
        let cache = temporary("tern-hub")
        return (try client(cache: cache, token: token, offline: offline, attempts: attempts), cache)
    }

    func client(cache: URL, token: String? = nil, offline: Bool = false, attempts: Int = 3) throws -> HubClient {
        var settings = HubSettings.fromEnvironment(["HF_ENDPOINT": endpoint, "HF_HUB_CACHE": cache.path])
        settings.token = token
        settings.offline = offline
        settings.maxAttempts = attempts
        settings.backoff = 0.01
        return try HubClient(settings: settings, progress: HubProgress(style: .silent), stallTimeout: 10)
    }
}

func fileSize(_ url: URL) throws -> Int { try Data(contentsOf: url).count }

func sha256(of url: URL) throws -> String {
    let hasher = try SHA256()
    try hasher.update(file: url.path)
    return hasher.hexDigest()
}
