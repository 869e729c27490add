/// (method, path) → handler, with the app's answers for unknown paths and wrong methods.
/// A path may hold `{name}` segments, each matching any one non-empty segment
/// (`/v1/responses/{id}`); an exact path wins over a pattern.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest, HTTPResponder) -> Void
    private var routes: [String: [String: Handler]] = [:]  // path → method → handler
    /// The paths with `{…}` segments, split into segments.
    private var patterns: [(path: String, segments: [Substring])] = []
    /// Builds the response for a status and message (so errors keep the app's shape).
    public var errorResponse: @Sendable (_ status: Int, _ message: String) -> HTTPResponse
    /// Runs before the route is looked up (so 404 and 405 come after it): may set headers, or
    /// answer itself (e.g. 401) and return false.
    public var admit: @Sendable (HTTPRequest, HTTPResponder) -> Bool = { _, _ in true }

    public init(errorResponse: @escaping @Sendable (Int, String) -> HTTPResponse) {
        self.errorResponse = errorResponse
    }

    public mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        if routes[path] == nil, path.contains("{") { patterns.append((path, path.split(separator: "/"))) }
        routes[path, default: [:]][method] = handler
    }

    /// The registered path `path` matches: itself, else the first pattern whose segments it fills.
    private func route(_ path: String) -> [String: Handler]? {
        if let exact = routes[path] { return exact }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for p in patterns where p.segments.count == segments.count {
            let fits = zip(p.segments, segments).allSatisfy { want, got in
                want.hasPrefix("{") && want.hasSuffix("}") ? !got.isEmpty : want == got
            }
            if fits { return routes[p.path] }
        }
        return nil
    }

    public func handle(_ request: HTTPRequest, _ responder: HTTPResponder) {
        guard admit(request, responder) else { return }
        guard let byMethod = route(request.path) else {
            responder.send(errorResponse(404, "no route \(request.method) \(request.path)"))
            return
        }
        if let handler = byMethod[request.method] {
            handler(request, responder)
        } else if request.method == "HEAD", let get = byMethod["GET"] {
            get(request, responder)
        } else {
            var r = errorResponse(405, "method \(request.method) is not allowed on \(request.path)")
            r.headers.append(("Allow", byMethod.keys.sorted().joined(separator: ", ")))
            responder.send(r)
        }
    }
}
