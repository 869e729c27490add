import Foundation
import OpenAIAPI
import XCTest

/// Settings come from defaults, then the JSON file, then TERN_* variables, then flags.
final class ServeSettingsTests: XCTestCase {
    static let shippedConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Config/tern.json").standardized.path

    func testShippedConfigHoldsTheDefaults() throws {
        var fromFile = ServeSettings()
        try fromFile.load(file: Self.shippedConfig)
        let defaults = ServeSettings()
        XCTAssertEqual(fromFile.host, defaults.host)
        XCTAssertEqual(fromFile.port, defaults.port)
        XCTAssertEqual(fromFile.kvCacheMemory, defaults.kvCacheMemory)
        XCTAssertEqual(fromFile.maxNumSeqs, defaults.maxNumSeqs)
        XCTAssertEqual(fromFile.maxNumBatchedTokens, defaults.maxNumBatchedTokens)
        XCTAssertEqual(fromFile.maxWaiting, defaults.maxWaiting)
        XCTAssertEqual(fromFile.maxConnections, defaults.maxConnections)
        XCTAssertEqual(fromFile.headerTimeout, defaults.headerTimeout)
        XCTAssertEqual(fromFile.bodyTimeout, defaults.bodyTimeout)
        XCTAssertEqual(fromFile.bodyMinRate, defaults.bodyMinRate)
        XCTAssertEqual(fromFile.maxStoredResponses, defaults.maxStoredResponses)
        XCTAssertEqual(fromFile.ui, defaults.ui)
        XCTAssertEqual(fromFile.maxConnectionsPerAddress, defaults.maxConnectionsPerAddress)
        XCTAssertEqual(fromFile.capLoopbackConnections, defaults.capLoopbackConnections)
        XCTAssertNil(fromFile.apiKey)
    }

    func testLaterSourcesOverrideEarlierOnes() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tern-settings-\(UUID()).json")
        try Data(#"{"port": 9000, "api_key": "from-file", "kv_cache_memory": "256MiB", "max_num_seqs": 4}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var s = ServeSettings()
        try s.load(file: file.path)
        XCTAssertEqual(s.port, 9000)
        XCTAssertEqual(s.kvCacheMemory, 256 << 20)
        try s.loadEnvironment(["TERN_API_KEY": "from-env", "TERN_MAX_NUM_SEQS": "8", "UNRELATED": "x"])
        XCTAssertEqual(s.apiKey, "from-env")
        XCTAssertEqual(s.maxNumSeqs, 8)
        try s.set("max_num_seqs", "2", source: "--max-num-seqs")
        XCTAssertEqual(s.maxNumSeqs, 2)
        XCTAssertEqual(s.port, 9000)
        XCTAssertTrue(s.ui)
        try s.loadEnvironment(["TERN_UI": "false"])
        XCTAssertFalse(s.ui)
    }

    func testBadValuesAreClearErrors() {
        var s = ServeSettings()
        XCTAssertThrowsError(try s.set("port", "eighty", source: "--port")) { XCTAssertTrue("\($0)".contains("port")) }
        XCTAssertThrowsError(try s.set("kv_cache_memory", "lots", source: "TERN_KV_CACHE_MEMORY"))
        XCTAssertThrowsError(try s.set("no_such_setting", "1", source: "file")) { XCTAssertTrue("\($0)".contains("known:")) }
        XCTAssertThrowsError(try s.loadEnvironment(["TERN_MAX_WAITING": "-3"]))
        XCTAssertThrowsError(try s.set("header_timeout", "soon", source: "file")) { XCTAssertTrue("\($0)".contains("header_timeout")) }
        XCTAssertThrowsError(try s.set("ui", "maybe", source: "file")) { XCTAssertTrue("\($0)".contains("ui must be true or false")) }
        XCTAssertEqual(ServeSettings.parseBytes("1.5GiB"), 3 << 29)
        XCTAssertEqual(ServeSettings.parseBytes("4096"), 4096)
        XCTAssertNil(ServeSettings.parseBytes("0"))
    }
}
