import Foundation

/// Numbers out of `JSONSerialization` results, strictly: on Linux a JSON `true` and the
/// number 1 are both NSNumbers and `is Bool` holds for both, so booleans are told apart by
/// their Objective-C type code instead.
public enum JSONNumbers {
    static func number(_ value: Any?) -> NSNumber? {
        guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
        return n
    }

    /// An integral JSON number within ±2^53 (the range JSON numbers hold exactly).
    public static func integer(_ value: Any?) -> Int? {
        guard let n = number(value) else { return nil }
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) <= 9_007_199_254_740_992 else { return nil }
        return n.intValue
    }

    public static func double(_ value: Any?) -> Double? {
        guard let d = number(value)?.doubleValue, d.isFinite else { return nil }
        return d
    }

    /// A list of integers, or nil if anything in it is not one.
    public static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            guard let n = integer(item) else { return nil }
            out.append(n)
        }
        return out
    }
}
