import CCurl
import Foundation

/// One HTTP request at a time through libcurl's easy interface: the only file that touches
/// libcurl. Redirects are not followed here: `HubClient` decides where to go next and which
/// headers (the token) may go there. The handle is reused, so keep-alive connections are too.
public final class HubTransfer {
    public enum Method { case head, get }

    public struct Response {
        /// Where it came from.
        public var url: String
        public var status = 0
        /// Lower-cased names; a repeated header keeps its last value.
        public var headers: [String: String] = [:]
        /// The body of a non-2xx answer (at most 64 KiB), for error messages.
        public var errorBody = Data()
    }

    /// Takes each piece of a 2xx body as it arrives, with the answer so far.
    public typealias Sink = (Response, UnsafeRawBufferPointer) throws -> Void

    private let handle: UnsafeMutableRawPointer
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)  // [CURL_ERROR_SIZE + 1] chars
    /// The request under way, shared with the callbacks: where a 2xx body goes, what has
    /// arrived so far, what the sink threw.
    private var sink: Sink?
    private var response = Response(url: "")
    private var thrown: Error?

    /// `stallTimeout`: seconds without a single byte before the transfer counts as timed out.
    /// The options every request shares are set here, once.
    public init(connectTimeout: Int = 15, stallTimeout: Int = 30) throws {
        guard HubTransfer.globalInit, let curl = curl_easy_init() else {
            throw HubError.transfer(code: -1, url: "", message: "libcurl could not be initialised")
        }
        handle = curl
        let user = Unmanaged.passUnretained(self).toOpaque()
        tern_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        tern_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        tern_curl_set_string(handle, CURLOPT_USERAGENT, "tern/0.1 (libcurl)")
        tern_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
        tern_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeout)
        tern_curl_set_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
        tern_curl_set_long(handle, CURLOPT_LOW_SPEED_TIME, stallTimeout)
        tern_curl_set_long(handle, CURLOPT_BUFFERSIZE, 512 * 1024)
        tern_curl_set_callback(handle, CURLOPT_HEADERFUNCTION, HubTransfer.headerCallback)
        tern_curl_set_pointer(handle, CURLOPT_HEADERDATA, user)
        tern_curl_set_callback(handle, CURLOPT_WRITEFUNCTION, HubTransfer.writeCallback)
        tern_curl_set_pointer(handle, CURLOPT_WRITEDATA, user)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Performs one request. For a 2xx answer to a GET, the body goes to `sink` as it
    /// arrives; a sink that throws aborts the transfer with that error.
    public func perform(_ method: Method, url: String, headers: [String], rangeFrom: Int64 = 0, sink: Sink? = nil) throws -> Response {
        self.sink = sink
        defer { self.sink = nil }
        response = Response(url: url)
        thrown = nil
        errorBuffer[0] = 0
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers { list = curl_slist_append(list, header) }
        defer { curl_slist_free_all(list) }
        tern_curl_set_string(handle, CURLOPT_URL, url)
        tern_curl_set_long(handle, CURLOPT_NOBODY, method == .head ? 1 : 0)  // 0 turns a HEAD back into a GET
        tern_curl_set_string(handle, CURLOPT_RANGE, rangeFrom > 0 ? "\(rangeFrom)-" : nil)
        tern_curl_set_pointer(handle, CURLOPT_HTTPHEADER, list)

        let code = curl_easy_perform(handle)
        if let thrown { throw thrown }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            throw HubError.transfer(code: Int(code.rawValue), url: url,
                                    message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        tern_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &response.status)
        return response
    }

    private static let headerCallback: tern_curl_data_callback = { data, size, count, user in
        let n = size * count
        guard let data, let user else { return n }
        let transfer = Unmanaged<HubTransfer>.fromOpaque(user).takeUnretainedValue()
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {  // a new response (after a 100 Continue, say): its headers replace the last ones
            transfer.response.headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            transfer.response.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return n
    }

    private static let writeCallback: tern_curl_data_callback = { data, size, count, user in
        let n = size * count
        guard let data, let user else { return n }
        let transfer = Unmanaged<HubTransfer>.fromOpaque(user).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: data, count: n)
        tern_curl_get_long(transfer.handle, CURLINFO_RESPONSE_CODE, &transfer.response.status)
        if (200..<300).contains(transfer.response.status), let sink = transfer.sink {
            do { try sink(transfer.response, bytes) } catch {
                transfer.thrown = error
                return 0  // aborts the transfer
            }
        } else if transfer.response.errorBody.count < 65536 {
            transfer.response.errorBody.append(contentsOf: bytes.prefix(65536 - transfer.response.errorBody.count))
        }
        return n
    }
}
