public enum HTTPParseResult: Equatable {
    /// A whole request; call `next()` again for a pipelined one.
    case request(HTTPRequest)
    /// Feed more bytes.
    case needMore
    /// The head asked `Expect: 100-continue` and the body has not arrived: send 100 Continue, then feed.
    case expectContinue
    /// The connection must answer `error.status` and close; the parser stays failed.
    case error(HTTPParseError)
}

/// An incremental HTTP/1.1 request parser as a pure state machine: bytes go in with
/// `feed`, `next()` says what is known so far. Any split of the input gives the same result.
public struct HTTPParser {
    private enum State {
        case head
        case body(HTTPRequest, remaining: Int)
        case chunkSize(HTTPRequest)
        case chunkData(HTTPRequest, remaining: Int)
        case chunkEnd(HTTPRequest)
        case trailers(HTTPRequest)
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    private var state = State.head
    private var buffer: [UInt8] = []  // (unconsumed bytes)
    private var start = 0             // first unconsumed byte of `buffer`
    private var scanned = 0           // head bytes already searched for the blank line
    private var continueSent = false
    private var trailerBytes = 0

    public init(limits: HTTPLimits = HTTPLimits()) { self.limits = limits }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            scanned = max(0, scanned - start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// True between requests with nothing buffered: the connection may be closed cleanly.
    public var isIdle: Bool { if case .head = state { return buffer.count == start } else { return false } }

    /// True once a request's head is parsed and its body is still arriving.
    public var isReadingBody: Bool {
        switch state {
        case .body, .chunkSize, .chunkData, .chunkEnd, .trailers: return true
        case .head, .failed: return false
        }
    }

    public mutating func next() -> HTTPParseResult {
        while true {
            switch state {
            case .failed(let e):
                return .error(e)
            case .head:
                if let result = readHead() { return result }
            case .body(var request, let remaining):
                if remaining > 0, buffer.count - start == 0, let r = continueIfAsked(request) { return r }
                let left = moveBody(into: &request, remaining: remaining)
                if left > 0 { state = .body(request, remaining: left); return .needMore }
                state = .head
                return .request(request)
            case .chunkSize(let request):
                if let result = readChunkSize(request) { return result }
            case .chunkData(var request, let remaining):
                let left = moveBody(into: &request, remaining: remaining)
                if left > 0 { state = .chunkData(request, remaining: left); return .needMore }
                state = .chunkEnd(request)
            case .chunkEnd(let request):
                guard buffer.count - start >= 2 else { return .needMore }
                guard buffer[start] == 13, buffer[start + 1] == 10 else { return fail(.badChunk) }
                start += 2
                state = .chunkSize(request)
            case .trailers(let request):
                if let result = readTrailer(request) { return result }
            }
        }
    }

    /// The head up to its blank line, parsed into the state that reads the body; nil to go on.
    private mutating func readHead() -> HTTPParseResult? {
        let end = findBlankLine()
        if (end ?? buffer.count) - start > limits.maxHeaderBytes { return fail(.headersTooLarge(limit: limits.maxHeaderBytes)) }
        guard let end else { return .needMore }
        let head = Array(buffer[start ..< end])
        start = end + 4
        scanned = start
        switch parseHead(head) {
        case .failure(let e): return fail(e)
        case .success(let next): state = next
        }
        continueSent = false
        return nil
    }

    /// Moves up to `remaining` buffered bytes into the body; returns how many are still to come.
    private mutating func moveBody(into request: inout HTTPRequest, remaining: Int) -> Int {
        let n = min(remaining, buffer.count - start)
        request.body.append(contentsOf: buffer[start ..< start + n])
        start += n
        return remaining - n
    }

    /// A chunk-size line; nil to go on with the chunk's data (or the trailers after the last).
    private mutating func readChunkSize(_ request: HTTPRequest) -> HTTPParseResult? {
        if buffer.count - start == 0, let r = continueIfAsked(request) { return r }
        guard let eol = findCRLF(from: start) else {
            if buffer.count - start > 1024 { return fail(.badChunk) }
            return .needMore
        }
        guard let size = parseChunkSize(buffer[start ..< eol]) else { return fail(.badChunk) }
        start = eol + 2
        if request.body.count + size > limits.maxBodyBytes { return fail(.bodyTooLarge(limit: limits.maxBodyBytes)) }
        if size == 0 { trailerBytes = 0; state = .trailers(request) } else { state = .chunkData(request, remaining: size) }
        return nil
    }

    /// One trailer line (ignored); the blank line after them completes the request.
    private mutating func readTrailer(_ request: HTTPRequest) -> HTTPParseResult? {
        guard let eol = findCRLF(from: start) else {
            if trailerBytes + buffer.count - start > limits.maxHeaderBytes { return fail(.headersTooLarge(limit: limits.maxHeaderBytes)) }
            return .needMore
        }
        trailerBytes += eol + 2 - start
        if trailerBytes > limits.maxHeaderBytes { return fail(.headersTooLarge(limit: limits.maxHeaderBytes)) }
        let empty = eol == start
        start = eol + 2
        if empty { state = .head; scanned = start; return .request(request) }
        return nil
    }

    private mutating func fail(_ e: HTTPParseError) -> HTTPParseResult {
        state = .failed(e)
        return .error(e)
    }

    private mutating func continueIfAsked(_ request: HTTPRequest) -> HTTPParseResult? {
        guard !continueSent, request.header("Expect") != nil else { return nil }
        continueSent = true
        return .expectContinue
    }

    /// Index of the "\r\n\r\n" that ends the head, searching only bytes not searched before.
    private mutating func findBlankLine() -> Int? {
        let from = max(start, scanned - 3)
        let end = (from ..< max(from, buffer.count - 3)).first { isCRLF(at: $0) && isCRLF(at: $0 + 2) }
        if end == nil { scanned = buffer.count }
        return end
    }

    private func findCRLF(from: Int) -> Int? { (from ..< max(from, buffer.count - 1)).first { isCRLF(at: $0) } }

    private func isCRLF(at i: Int) -> Bool { buffer[i] == 13 && buffer[i + 1] == 10 }

    private func parseChunkSize(_ line: ArraySlice<UInt8>) -> Int? {
        var size = 0, digits = 0
        for b in line {
            if b == UInt8(ascii: ";") { break }
            guard let v = Character(Unicode.Scalar(b)).hexDigitValue, digits < 15 else { return digits > 0 && (b == 32 || b == 9) ? size : nil }
            size = size * 16 + v
            digits += 1
        }
        return digits > 0 ? size : nil
    }

    private func parseHead(_ head: [UInt8]) -> Result<State, HTTPParseError> {
        var lines = head.split(separator: 10, omittingEmptySubsequences: false).map { line -> ArraySlice<UInt8> in line }
        // Every line but the last must end in CR (the blank line's CRLF was cut off).
        for i in 0 ..< lines.count - 1 {
            guard lines[i].last == 13 else { return .failure(i == 0 ? .badRequestLine : .badHeader) }
            lines[i] = lines[i].dropLast()
        }
        guard let requestLine = lines.first, let (method, target, version) = Self.parseRequestLine(requestLine) else {
            return .failure(.badRequestLine)
        }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { return .failure(.unsupportedVersion(version)) }
        var request = HTTPRequest(method: method, target: target, version: version)
        for line in lines.dropFirst() {
            guard request.headers.count < limits.maxHeaderCount else { return .failure(.tooManyHeaders(limit: limits.maxHeaderCount)) }
            guard let field = Self.parseHeader(line) else { return .failure(.badHeader) }
            request.headers.append(field)
        }
        let lengths = Set(request.headers.filter { $0.name.lowercased() == "content-length" }.map(\.value))
        let encoding = request.headers.filter { $0.name.lowercased() == "transfer-encoding" }.map { $0.value.lowercased() }
        if let expect = request.header("Expect"), expect.lowercased() != "100-continue" {
            return .failure(.unsupportedExpectation(expect))
        }
        if !encoding.isEmpty {
            guard lengths.isEmpty else { return .failure(.conflictingLength) }
            guard encoding == ["chunked"] else { return .failure(.unsupportedTransferEncoding(encoding.joined(separator: ", "))) }
            return .success(.chunkSize(request))
        }
        guard lengths.count <= 1 else { return .failure(.conflictingLength) }
        guard let text = lengths.first else { return .success(.body(request, remaining: 0)) }
        guard !text.isEmpty, text.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let n = Int(text) else {
            return .failure(.badContentLength)
        }
        guard n <= limits.maxBodyBytes else { return .failure(.bodyTooLarge(limit: limits.maxBodyBytes)) }
        return .success(.body(request, remaining: n))
    }

    private static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 48 ... 57, 65 ... 90, 97 ... 122: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) -> (String, String, String)? {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenChar),
              !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 32 && $0 < 127 }),
              parts[1].first == UInt8(ascii: "/") || parts[1].elementsEqual("*".utf8) || parts[1].starts(with: "http".utf8) else { return nil }
        let version = Array(parts[2])  // "HTTP/" digit "." digit
        guard version.count == 8, version.starts(with: "HTTP/".utf8), (48 ... 57).contains(version[5]), version[6] == UInt8(ascii: "."),
              (48 ... 57).contains(version[7]) else { return nil }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self),
                String(decoding: version, as: UTF8.self))
    }

    private static func parseHeader(_ line: ArraySlice<UInt8>) -> (name: String, value: String)? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let name = line[line.startIndex ..< colon]
        guard !name.isEmpty, name.allSatisfy(isTokenChar) else { return nil }
        var value = line[(colon + 1)...]
        // Field values: visible characters, spaces, tabs and obs-text; no other control bytes.
        guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else { return nil }
        while let f = value.first, f == 32 || f == 9 { value = value.dropFirst() }
        while let l = value.last, l == 32 || l == 9 { value = value.dropLast() }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }
}
