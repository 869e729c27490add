import JSON

/// Typed, validated access to a JSON request object: each accessor returns nil when the
/// field is absent or null and throws a 400 naming the field when its value is wrong.
/// Unknown fields are never looked at.
struct RequestFields {
    let object: JSON

    init(_ body: [UInt8]) throws {
        guard !body.isEmpty else { throw APIError.invalid("the request body is empty; expected a JSON object") }
        let value: JSON
        do { value = try JSONParser.parse(body) } catch { throw APIError.invalid("\(error)") }
        guard case .object = value else { throw APIError.invalid("the request body must be a JSON object") }
        object = value
    }

    init(object: JSON) { self.object = object }

    subscript(_ name: String) -> JSON? {
        guard let v = object[name], v != .null else { return nil }
        return v
    }

    /// The field as `get` reads it, nil when absent; a 400 saying it must be `what` when `get` cannot.
    private func typed<T>(_ name: String, _ what: String, _ get: (JSON) -> T?) throws -> T? {
        guard let v = self[name] else { return nil }
        guard let t = get(v) else { throw APIError.invalid("'\(name)' must be \(what)", param: name) }
        return t
    }

    func bool(_ name: String) throws -> Bool? { try typed(name, "a boolean") { if case .bool(let b) = $0 { b } else { nil } } }

    func string(_ name: String) throws -> String? { try typed(name, "a string") { $0.stringValue } }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let i = try typed(name, "an integer", { $0.intValue }) else { return nil }
        guard range.contains(i) else {
            throw APIError.invalid("'\(name)' must be between \(range.lowerBound) and \(range.upperBound); got \(i)", param: name)
        }
        return i
    }

    func number(_ name: String, in range: ClosedRange<Double>, openLower: Bool = false) throws -> Double? {
        guard let d = try typed(name, "a number", { $0.doubleValue }) else { return nil }
        guard range.contains(d), !(openLower && d == range.lowerBound) else {
            let lower = openLower ? "(\(range.lowerBound)" : "[\(range.lowerBound)"
            throw APIError.invalid("'\(name)' must be in \(lower), \(range.upperBound)]; got \(d)", param: name)
        }
        return d
    }

    /// A string or an array of strings (e.g. `stop`).
    func strings(_ name: String, maxCount: Int) throws -> [String]? {
        let strings = { (v: JSON) -> [String]? in
            if case .string(let s) = v { return [s] }
            let items = v.arrayValue?.compactMap(\.stringValue)
            return items?.count == v.arrayValue?.count ? items : nil
        }
        guard let items = try typed(name, "a string or an array of strings", strings) else { return nil }
        guard items.count <= maxCount else { throw APIError.invalid("'\(name)' takes at most \(maxCount) entries", param: name) }
        guard items.allSatisfy({ !$0.isEmpty }) else { throw APIError.invalid("'\(name)' entries must not be empty", param: name) }
        return items
    }

    func ints(_ name: String, in range: ClosedRange<Int>) throws -> [Int]? {
        try typed(name, "an array of integers", { $0.arrayValue })?.map { try RequestFields.integer($0, name: name, in: range) }
    }

    static func integer(_ v: JSON, name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let i = v.intValue, range.contains(i) else {
            throw APIError.invalid("'\(name)' must hold integers in \(range.lowerBound)...\(range.upperBound)", param: name)
        }
        return i
    }
}
