import Foundation
import XCTest
import Hub

/// `HubClient.pull` against the fake hub: layout, resume, verification, errors, safety.
final class HubPullTests: XCTestCase {
    nonisolated(unsafe) static var hub: FakeHub?

    override class func setUp() {
        hub = try? FakeHub()
    }

    override class func tearDown() {
        hub = nil
    }

    func fakeHub() throws -> FakeHub { try XCTUnwrap(Self.hub, "fake_hub.py could not be started") }

    func testPullsByQuantIntoTheHubCacheLayout() throws {
        let hub = try fakeHub()
        let (client, cache) = try hub.client()
        XCTAssertEqual(client.settings.endpoint, hub.endpoint, "HF_ENDPOINT is the endpoint")
        let path = try client.pull(repo: "tern-test/tiny-gguf", quant: "q4_k_m")
        let meta = try client.metadata(repo: "tern-test/tiny-gguf", revision: "main", file: "tiny.Q4_K_M.gguf")
        let storage = cache.appendingPathComponent("models--tern-test--tiny-gguf")
        XCTAssertEqual(path.path, storage.appendingPathComponent("snapshots/\(meta.commit)/tiny.Q4_K_M.gguf").path)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path.path), "../../blobs/\(meta.etag)")
        XCTAssertEqual(try String(contentsOf: storage.appendingPathComponent("refs/main"), encoding: .utf8), meta.commit)
        XCTAssertEqual(try sha256(of: path), meta.sha256)
        XCTAssertEqual(client.bytesTransferred, 3 << 20)

        // A small (non-LFS) file in a folder: named by its git ETag, linked from one level deeper.
        let config = try client.pull(repo: "tern-test/tiny-gguf", file: "configs/config.json")
        XCTAssertEqual(try String(contentsOf: config, encoding: .utf8), "{\"model_type\": \"llama\"}\n")
        XCTAssertTrue(try FileManager.default.destinationOfSymbolicLink(atPath: config.path).hasPrefix("../../../blobs/"))

        // A second pull finds it and transfers nothing; the revision can be the commit too.
        XCTAssertEqual(try client.pull(repo: "tern-test/tiny-gguf", quant: "Q4_K_M"), path)
        XCTAssertEqual(client.bytesTransferred, 0)
        XCTAssertEqual(try client.pull(repo: "tern-test/tiny-gguf", file: "tiny.Q4_K_M.gguf", revision: meta.commit), path)
    }

    func testInterruptedDownloadResumesWithARangeRequest() throws {
        let hub = try fakeHub()
        let (client, cache) = try hub.client(attempts: 1)
        let meta = try client.metadata(repo: "tern-test/flaky", revision: "main", file: "drop.gguf")
        let size = try XCTUnwrap(meta.size)
        try hub.armDrop(key: meta.etag)
        XCTAssertThrowsError(try client.pull(repo: "tern-test/flaky", file: "drop.gguf")) { error in
            guard case HubError.transfer = error else { return XCTFail("\(error)") }
        }
        let storage = cache.appendingPathComponent("models--tern-test--flaky")
        let partial = storage.appendingPathComponent("blobs/\(meta.etag).incomplete")
        let kept = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int64)
        XCTAssertGreaterThan(kept, 0)
        XCTAssertLessThan(kept, size)
        XCTAssertFalse(FileManager.default.fileExists(atPath: storage.appendingPathComponent("snapshots/\(meta.commit)/drop.gguf").path))

        let sentBefore = try hub.stats().bytes[meta.etag] ?? 0
        let path = try client.pull(repo: "tern-test/flaky", file: "drop.gguf")
        let sentAfter = try hub.stats().bytes[meta.etag] ?? 0
        XCTAssertEqual(client.bytesTransferred, size - kept, "the second attempt fetches only the rest")
        XCTAssertLessThan(sentAfter - sentBefore, size)
        XCTAssertEqual(try sha256(of: path), meta.sha256)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
    }

    func testRetriesResumeWithinOnePull() throws {
        let hub = try fakeHub()
        let (client, _) = try hub.client(attempts: 3)
        let meta = try client.metadata(repo: "tern-test/flaky", revision: "main", file: "drop.gguf")
        try hub.armDrop(key: meta.etag, drops: 2)
        let path = try client.pull(repo: "tern-test/flaky", file: "drop.gguf")
        XCTAssertEqual(client.bytesTransferred, meta.size, "nothing was downloaded twice")
        XCTAssertEqual(try sha256(of: path), meta.sha256)
    }

    func testServerErrorsAreRetried() throws {
        let hub = try fakeHub()
        let (client, _) = try hub.client(attempts: 4)
        // The first two HEADs of busy.gguf answer 503.
        let path = try client.pull(repo: "tern-test/flaky", file: "busy.gguf")
        XCTAssertEqual(try fileSize(path), 1 << 20)
    }

    func testChecksumMismatchLeavesNothingBehind() throws {
        let hub = try fakeHub()
        let (client, cache) = try hub.client()
        XCTAssertThrowsError(try client.pull(repo: "tern-test/bad-sha", file: "bad.gguf")) { error in
            guard case HubError.checksumMismatch(let file, let expected, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "bad.gguf")
            XCTAssertEqual(expected, String(repeating: "0", count: 64))
        }
        let storage = cache.appendingPathComponent("models--tern-test--bad-sha")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: storage.appendingPathComponent("blobs").path), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: storage.appendingPathComponent("snapshots").path))
    }

    func testNamesThatWouldEscapeTheCacheAreRefused() throws {
        let hub = try fakeHub()
        let (client, cache) = try hub.client()
        // From the user, refused before any request.
        for (repo, file, revision) in [("../etc", "a.gguf", "main"), ("a/b/c", "a.gguf", "main"), ("tern-test/tiny-gguf", "../../x.gguf", "main"),
                                       ("tern-test/tiny-gguf", "/etc/passwd", "main"), ("tern-test/tiny-gguf", "a\\b.gguf", "main"),
                                       ("tern-test/tiny-gguf", "README.md", "../main"), ("tern-test/tiny-gguf", "README.md", "/main")] {
            XCTAssertThrowsError(try client.pull(repo: repo, file: file, revision: revision), "\(repo) \(file) \(revision)") { error in
                guard case HubError.invalidName = error else { return XCTFail("\(error)") }
            }
        }
        // From the server: unsafe listing entries are dropped, unsafe ETags and commits refused.
        XCTAssertEqual(try client.listFiles(repo: "tern-test/escape", revision: "main"), ["evil.Q4_K_M.gguf", "commit.gguf"])
        XCTAssertThrowsError(try client.pull(repo: "tern-test/escape", quant: "Q4_K_M")) { error in
            guard case HubError.invalidName(let kind, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(kind, "ETag")
        }
        XCTAssertThrowsError(try client.pull(repo: "tern-test/escape", file: "commit.gguf")) { error in
            guard case HubError.invalidName(let kind, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(kind, "commit")
        }
        let storage = cache.appendingPathComponent("models--tern-test--escape")
        XCTAssertFalse(FileManager.default.fileExists(atPath: storage.appendingPathComponent("snapshots").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: storage.appendingPathComponent("blobs/../../../../tmp/tern-escape").standardized.path))
    }

    func testGatedRepoNeedsTheTokenWhichNeverLeavesTheHub() throws {
        let hub = try fakeHub()
        let (anonymous, _) = try hub.client()
        XCTAssertThrowsError(try anonymous.pull(repo: "tern-test/gated", file: "model.gguf")) { error in
            guard case HubError.accessDenied(_, _, let gated, let hasToken) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(gated)
            XCTAssertFalse(hasToken)
            XCTAssertTrue("\(error)".contains("HF_TOKEN"))
        }
        let (client, _) = try hub.client(token: "secret-token")
        let before = try hub.stats().cdnAuth.count
        _ = try client.pull(repo: "tern-test/gated", file: "model.gguf")
        let seen = try hub.stats().cdnAuth.dropFirst(before)
        XCTAssertFalse(seen.isEmpty)
        XCTAssertTrue(seen.allSatisfy { $0 == nil }, "the CDN (another origin) never sees the token: \(seen)")
    }

    func testMissingRepoRevisionAndFileAreNamed() throws {
        let hub = try fakeHub()
        let (client, _) = try hub.client()
        let cases: [(String, String, String, String)] = [
            ("tern-test/nope", "a.gguf", "main", "repo"), ("tern-test/tiny-gguf", "a.gguf", "v9", "revision"),
            ("tern-test/tiny-gguf", "nope.gguf", "main", "file"),
        ]
        for (repo, file, revision, what) in cases {
            XCTAssertThrowsError(try client.pull(repo: repo, file: file, revision: revision)) { error in
                guard case HubError.notFound(_, _, _, let found) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(found, what)
            }
        }
        XCTAssertThrowsError(try client.pull(repo: "tern-test/tiny-gguf", quant: "Q2_K")) { error in
            guard case HubError.noMatchingFile(_, _, let available) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(available, ["tiny.Q4_K_M.gguf", "tiny.Q8_0.gguf"])
        }
    }

    func testRelativeRedirectsOnTheHubAreFollowed() throws {
        let hub = try fakeHub()
        let (client, _) = try hub.client()
        let path = try client.pull(repo: "tern-test/old-name", quant: "Q8_0")
        XCTAssertTrue(path.path.contains("models--tern-test--old-name/snapshots/"))
        XCTAssertEqual(try fileSize(path), 2 << 20)
    }

    func testCheckpointReposPullWhatTernReads() throws {
        let hub = try fakeHub()
        let (client, _) = try hub.client()
        // The tiny Qwen2 fixture folder as a repo: with a GGUF in it, the GGUF is the model.
        XCTAssertEqual(try client.pullModel(repo: "tern-test/tiny-qwen2").lastPathComponent, "model.gguf")
        // Without one, the checkpoint: config, tokenizer and generation files and every shard,
        // nothing else (the fixture's reference.json and tokens.json stay on the hub).
        let folder = try client.pullModel(repo: "tern-test/tiny-qwen2-safetensors")
        XCTAssertTrue(folder.path.contains("models--tern-test--tiny-qwen2-safetensors/snapshots/"), folder.path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), [
            "config.json", "generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
            "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json",
        ])
        let offline = try hub.client(cache: client.settings.cache.root, offline: true)
        XCTAssertEqual(try offline.pullModel(repo: "tern-test/tiny-qwen2-safetensors"), folder)
    }

    func testOfflineModeAndAnUnreachableHubUseTheCache() throws {
        let hub = try fakeHub()
        let (client, cache) = try hub.client()
        let path = try client.pull(repo: "tern-test/tiny-gguf", quant: "Q8_0")

        let offline = try hub.client(cache: cache, offline: true)
        XCTAssertEqual(try offline.pull(repo: "tern-test/tiny-gguf", quant: "Q8_0"), path)
        XCTAssertThrowsError(try offline.pull(repo: "tern-test/tiny-gguf", quant: "Q4_K_M")) { error in
            guard case HubError.notCached = error else { return XCTFail("\(error)") }
        }
        var settings = client.settings
        settings.endpoint = "http://127.0.0.1:1"  // nothing listens there
        let unreachable = try HubClient(settings: settings, progress: HubProgress(style: .silent))
        XCTAssertEqual(try unreachable.pull(repo: "tern-test/tiny-gguf", quant: "Q8_0"), path)
        XCTAssertThrowsError(try unreachable.pull(repo: "tern-test/tiny-gguf", quant: "Q4_K_M")) { error in
            guard case HubError.transfer = error else { return XCTFail("\(error)") }
        }
    }
}
