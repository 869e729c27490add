/// A list of byte strings stored end to end in one buffer: 128k token spellings take about
/// 1.5 MB here rather than 6 MB as separate arrays (each with its own header and allocation).
struct ByteStrings: Sendable {
    private var bytes: [UInt8] = []     // (Σ lengths) the strings, end to end
    private var ends: [Int32] = []      // (count) where each string ends in `bytes`

    init<S: Sequence>(_ strings: S) where S.Element: Collection, S.Element.Element == UInt8 {
        for s in strings { append(s) }
    }

    mutating func append<C: Collection>(_ s: C) where C.Element == UInt8 {
        bytes.append(contentsOf: s)
        ends.append(Int32(bytes.count))
    }

    var count: Int { ends.count }

    /// String `i` (0 ..< count).
    subscript(i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : Int(ends[i - 1])) ..< Int(ends[i])]
    }
}
