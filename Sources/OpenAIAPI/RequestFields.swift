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

    func bool(_ name: String) throws -> Bool? {
        guard let v = self[name] else { return nil }
        guard case .bool(let b) = v else { throw APIError.invalid("'\(name)' must be a boolean", param: name) }
        return b
    }

    func string(_ name: String) throws -> String? {
        guard let v = self[name] else { return nil }
        guard case .string(let s) = v else { throw APIError.invalid("'\(name)' must be a string", param: name) }
        return s
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = self[name] else { return nil }
        guard let i = v.intValue else { throw APIError.invalid("'\(name)' must be an integer", param: name) }
        guard range.contains(i) else {
            throw APIError.invalid("'\(name)' must be between \(range.lowerBound) and \(range.upperBound); got \(i)", param: name)
        }
        return i
    }

    func number(_ name: String, in range: ClosedRange<Double>, openLower: Bool = false) throws -> Double? {
        guard let v = self[name] else { return nil }
        guard let d = v.doubleValue else { throw APIError.invalid("'\(name)' must be a number", param: name) }
        guard range.contains(d), !(openLower && d == range.lowerBound) else {
            let lower = openLower ? "(\(range.lowerBound)" : "[\(range.lowerBound)"
            throw APIError.invalid("'\(name)' must be in \(lower), \(range.upperBound)]; got \(d)", param: name)
        }
        return d
    }

    /// A string or an array of strings (e.g. `stop`).
    func strings(_ name: String, maxCount: Int) throws -> [String]? {
        guard let v = self[name] else { return nil }
        let items: [String]
        switch v {
        case .string(let s): items = [s]
        case .array(let a):
            items = try a.map {
                guard case .string(let s) = $0 else { throw APIError.invalid("'\(name)' must be a string or an array of strings", param: name) }
                return s
            }
        default: throw APIError.invalid("'\(name)' must be a string or an array of strings", param: name)
        }
        guard items.count <= maxCount else { throw APIError.invalid("'\(name)' takes at most \(maxCount) entries", param: name) }
        guard items.allSatisfy({ !$0.isEmpty }) else { throw APIError.invalid("'\(name)' entries must not be empty", param: name) }
        return items
    }

    func ints(_ name: String, in range: ClosedRange<Int>) throws -> [Int]? {
        guard let v = self[name] else { return nil }
        guard case .array(let a) = v else { throw APIError.invalid("'\(name)' must be an array of integers", param: name) }
        return try a.map { try RequestFields.integer($0, name: name, in: range) }
    }

    static func integer(_ v: JSON, name: String, in range: ClosedRange<Int>) throws -> Int {
        guard let i = v.intValue, range.contains(i) else {
            throw APIError.invalid("'\(name)' must hold integers in \(range.lowerBound)...\(range.upperBound)", param: name)
        }
        return i
    }
}
