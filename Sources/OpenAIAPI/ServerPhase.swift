/// Where a server is in its life, as load balancers and orchestrators see it:
/// `/health` answers 200 only when `ready` (503 with `Retry-After` while loading or
/// draining), `/live` answers 200 in every phase (the process serves HTTP).
public enum ServerPhase: String, Sendable {
    /// Listening, the model not loaded yet: model routes answer 503.
    case loading
    /// Serving.
    case ready
    /// SIGTERM received: requests in flight finish, new ones get 503 with `Retry-After`, every
    /// response closes its connection, and the process exits once nothing is in flight.
    case draining

    /// `{"status":"<phase>"}`; the body of `/health` and `/live`.
    var body: String { #"{"status":""# + (self == .ready ? "ok" : rawValue) + #""}"# }
}
