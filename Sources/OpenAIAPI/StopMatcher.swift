/// Finds stop strings in streamed text: text that could still be the start of a stop
/// string is held back, so a stop string split across tokens never leaks out; on a match
/// the text before it is released and the rest (the stop string included) is dropped.
public struct StopMatcher {
    private let stops: [[Unicode.Scalar]]
    private var held: [Unicode.Scalar] = []
    /// The stop string that matched (nil until one did).
    public private(set) var matched: String?
    public var stopped: Bool { matched != nil }

    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) }
    }

    /// Feeds a text delta; returns the text that is now safe to emit.
    public mutating func push(_ text: String) -> String {
        guard !stopped else { return "" }
        held.append(contentsOf: text.unicodeScalars)
        guard !stops.isEmpty else { return flush() }
        // The earliest complete match wins.
        var earliest: Int?
        for s in stops where s.count <= held.count {
            for start in 0 ... held.count - s.count where earliest.map({ start < $0 }) ?? true {
                if held[start ..< start + s.count].elementsEqual(s) {
                    earliest = start
                    matched = String(String.UnicodeScalarView(s))
                    break
                }
            }
        }
        if let cut = earliest {
            let out = String(String.UnicodeScalarView(held[0 ..< cut]))
            held = []
            return out
        }
        // Hold back the longest suffix that is a proper prefix of some stop string.
        var keep = 0
        for s in stops {
            for len in stride(from: min(s.count - 1, held.count), to: keep, by: -1)
                where held[(held.count - len)...].elementsEqual(s[0 ..< len]) {
                keep = len
                break
            }
        }
        let out = String(String.UnicodeScalarView(held[0 ..< held.count - keep]))
        held.removeFirst(held.count - keep)
        return out
    }

    /// At the end of generation: whatever was held back (it never became a stop string).
    public mutating func flush() -> String {
        defer { held = [] }
        return stopped ? "" : String(String.UnicodeScalarView(held))
    }
}
