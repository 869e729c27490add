import Foundation
import XCTest
import Hub

/// The cache is shared with the real `huggingface_hub` package both ways: what Tern pulls,
/// huggingface_hub loads offline; what huggingface_hub downloaded, Tern uses without a byte
/// transferred. The Python comes from TERN_TEST_PYTHON (scripts/test sets it to the test
/// virtualenv that has huggingface_hub).
final class HubInteropTests: XCTestCase {
    nonisolated(unsafe) static var hub: FakeHub?

    override class func setUp() { hub = try? FakeHub() }
    override class func tearDown() { hub = nil }

    func python(_ code: String, environment: [String: String]) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let python = env["TERN_TEST_PYTHON"] ?? NSHomeDirectory() + "/.cache/tern/venv-sdk/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw NSError(domain: "HubInterop", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "no Python with huggingface_hub at \(python): run scripts/test (or set TERN_TEST_PYTHON)"])
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", code]
        process.environment = env.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "HubInterop", code: 2, userInfo: [NSLocalizedDescriptionKey: String(decoding: errors, as: UTF8.self)])
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testHuggingFaceHubLoadsWhatTernPulled() throws {
        let hub = try XCTUnwrap(Self.hub)
        let (client, cache) = try hub.client()
        let gguf = try client.pull(repo: "tern-test/tiny-gguf", quant: "Q4_K_M")
        let config = try client.pull(repo: "tern-test/tiny-gguf", file: "configs/config.json")
        let answer = try python("""
            import json
            from huggingface_hub import hf_hub_download, scan_cache_dir
            paths = [hf_hub_download("tern-test/tiny-gguf", f, local_files_only=True)
                     for f in ("tiny.Q4_K_M.gguf", "configs/config.json")]
            info = scan_cache_dir()
            repo = next(r for r in info.repos if r.repo_id == "tern-test/tiny-gguf")
            print(json.dumps({"paths": paths, "warnings": [str(w) for w in info.warnings],
                              "refs": sorted(repo.refs), "files": repo.nb_files, "size": repo.size_on_disk}))
            """, environment: ["HF_HUB_CACHE": cache.path, "HF_HUB_OFFLINE": "1", "HF_ENDPOINT": hub.endpoint])
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any])
        XCTAssertEqual(result["paths"] as? [String], [gguf.path, config.path])
        XCTAssertEqual(result["warnings"] as? [String], [])
        XCTAssertEqual(result["refs"] as? [String], ["main"])
        XCTAssertEqual(result["files"] as? Int, 2)
        XCTAssertEqual((result["size"] as? NSNumber)?.int64Value, Int64(3 << 20) + 24)
    }

    func testTernReusesWhatHuggingFaceHubDownloaded() throws {
        let hub = try XCTUnwrap(Self.hub)
        let cache = hub.temporary("tern-hub-py")
        let pythonPath = try python("""
            from huggingface_hub import hf_hub_download
            print(hf_hub_download("tern-test/tiny-gguf", "tiny.Q8_0.gguf"))
            """, environment: ["HF_HUB_CACHE": cache.path, "HF_ENDPOINT": hub.endpoint])
        let offline = try hub.client(cache: cache, offline: true)
        XCTAssertEqual(try offline.pull(repo: "tern-test/tiny-gguf", quant: "Q8_0").path, pythonPath)
        let online = try hub.client(cache: cache)
        let sentBefore = try hub.stats().bytes.values.reduce(0, +)
        XCTAssertEqual(try online.pull(repo: "tern-test/tiny-gguf", quant: "Q8_0").path, pythonPath)
        XCTAssertEqual(online.bytesTransferred, 0)
        XCTAssertEqual(try hub.stats().bytes.values.reduce(0, +), sentBefore)
    }
}
