import ChatTemplate
import Engine
import Foundation
import HTTP
import Kernels
import Loader
import ModelFormats
import Models
import OpenAIAPI
import TestSupport
import Tokenizers
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A real `tern serve` stack in process (SmolLM2 or a given model, GEMV path so batching cannot change
/// results) on an ephemeral port, and a tiny HTTP/1.1 client to talk to it.
final class TestServer {
    nonisolated(unsafe) private static var shared: [String: LoadedModel] = [:]

    /// `path` (a GGUF file or a checkpoint folder; by default SmolLM2 from the model cache)
    /// through the loader, as `tern serve` loads it, on the GEMV path.
    static func loaded(_ path: String? = nil) throws -> LoadedModel {
        let path = try path ?? requiredModel("SmolLM2-135M-Instruct.Q4_1.gguf")
        if let l = shared[path] { return l }
        let l = try ModelLoader.load(path: path, options: LoadOptions(threads: 2, matmulPath: .gemv))
        shared[path] = l
        return l
    }

    let http: HTTPServer
    let api: OpenAIServer
    let engine: EngineCore
    let port: Int

    init(model: String? = nil, maxNumSeqs: Int = 8, maxNumBatchedTokens: Int = 512, numBlocks: Int = 400, maxWaiting: Int = 64,
         apiKey: String? = nil, corsOrigin: String? = nil, maxStoredResponses: Int = 1000) throws {
        let l = try Self.loaded(model)
        engine = l.makeEngine(SchedulerConfig(maxNumSeqs: maxNumSeqs, maxNumBatchedTokens: maxNumBatchedTokens,
                                              maxModelLen: 2048, blockSize: 16, numBlocks: numBlocks))
        api = OpenAIServer(config: APIConfig(apiKey: apiKey, corsOrigin: corsOrigin, maxStoredResponses: maxStoredResponses))
        api.service = ModelService(modelName: "smollm2", engine: engine, tokenizer: l.tokenizer, template: l.template, maxWaiting: maxWaiting,
                                   samplingDefaults: l.samplingDefaults, eosTokenIDs: l.eosTokenIDs,
                                   systemFingerprint: l.systemFingerprint(kvCacheDType: engine.config.kvCacheDType))
        var config = HTTPServerConfig()
        config.port = 0
        http = HTTPServer(config: config, router: api.router)
        port = try http.start()
    }

    func stop() {
        http.stop(deadline: 2) { engine.abortAll() }
        engine.shutdown()
    }

    struct Response {
        var status: Int
        var head: String
        var body: String
        var json: JSON? { try? JSONParser.parse(Array(body.utf8)) }
        /// The `data:` payloads of an event stream.
        var events: [String] {
            body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        }

        /// The events of a stream of named events (Anthropic's, the Responses API's): each
        /// `event:` name with its `data:` JSON, checked to be a stream and the name to be the data's `type`.
        func namedEvents() throws -> [(name: String, data: JSON)] {
            XCTAssertEqual(status, 200, body)
            XCTAssertTrue(head.contains("text/event-stream"), head)
            return try body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
                let lines = block.split(separator: "\n", maxSplits: 1).map(String.init)
                guard lines.count == 2, lines[0].hasPrefix("event: "), lines[1].hasPrefix("data: ") else {
                    XCTFail("not a named event: \(block)")
                    return ("", .null)
                }
                let data = try JSONParser.parse(Array(lines[1].dropFirst(6).utf8))
                XCTAssertEqual(data["type"]?.stringValue, String(lines[0].dropFirst(7)), "event name and data type differ")
                return (String(lines[0].dropFirst(7)), data)
            }
        }
    }

    /// One request on its own connection (`Connection: close`); a chunked body is decoded.
    func request(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) throws -> Response {
        let c = try RawClient(port: port)
        defer { c.close() }
        var text = "\(method) \(path) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
        for h in headers { text += h + "\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + (body ?? "")
        c.send(text)
        return Self.parseResponse(c.read())
    }

    func post(_ path: String, _ body: String, headers: [String] = []) throws -> Response {
        try request("POST", path, body: body, headers: headers)
    }

    /// The final response of `raw` (interim 1xx responses before it are skipped, as clients do).
    static func parseResponse(_ text: String) -> Response {
        var raw = Substring(text)
        while raw.hasPrefix("HTTP/1.1 1"), let end = raw.range(of: "\r\n\r\n") { raw = raw[end.upperBound...] }
        guard let split = raw.range(of: "\r\n\r\n") else { return Response(status: 0, head: String(raw), body: "") }
        let head = String(raw[..<split.lowerBound])
        var body = String(raw[split.upperBound...])
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        if head.lowercased().contains("transfer-encoding: chunked") {
            var out = "", rest = Substring(body)
            while let eol = rest.range(of: "\r\n"), let n = Int(rest[..<eol.lowerBound], radix: 16), n > 0 {
                let start = rest.utf8.index(eol.upperBound, offsetBy: 0)
                let bytes = Array(rest[start...].utf8.prefix(n))
                out += String(decoding: bytes, as: UTF8.self)
                rest = Substring(String(decoding: Array(rest[start...].utf8.dropFirst(n + 2)), as: UTF8.self))
            }
            body = out
        }
        return Response(status: status, head: head, body: body)
    }

    /// Polls /metrics until no request runs or waits; returns the metric values by name.
    func waitIdle(headers: [String] = []) throws -> [String: Double] {
        var m: [String: Double] = [:]
        let idle = try waitUntil(timeout: 15) {
            m = try metrics(headers: headers)
            return m["vllm:num_requests_running"] == 0 && m["vllm:num_requests_waiting"] == 0
        }
        XCTAssertTrue(idle, "the server did not become idle")
        return m
    }

    /// Metric values by name (the first series of each name), and by name with its labels
    /// other than model_name, e.g. `vllm:request_success_total{finished_reason="abort"}`.
    func metrics(headers: [String] = []) throws -> [String: Double] {
        var values: [String: Double] = [:]
        for line in try request("GET", "/metrics", headers: headers).body.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let v = Double(parts[1]) else { continue }
            let nameAndLabels = parts[0].split(separator: "{", maxSplits: 1)
            let name = nameAndLabels.first.map(String.init) ?? ""
            if values[name] == nil { values[name] = v }
            let labels = nameAndLabels.dropFirst().first.map { $0.dropLast().split(separator: ",").filter { !$0.hasPrefix("model_name=") } } ?? []
            if !labels.isEmpty { values[name + "{" + labels.joined(separator: ",") + "}"] = v }
        }
        return values
    }
}
