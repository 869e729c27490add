/// Token spelling (UTF-8 bytes) → id, as an open-addressing hash table over the spellings
/// kept end to end: for a 128k vocabulary about 3 MB, where a `[[UInt8]: Int32]` dictionary
/// takes 9 MB. Of a spelling listed twice the first id is found.
public struct TokenIndex: Sendable {
    private let spellings: ByteStrings
    private let slots: [Int32]  // (power of two ≥ 2 × count) id + 1 of the spelling hashed there; 0: empty

    init(_ tokens: [String]) {
        spellings = ByteStrings(tokens.lazy.map(\.utf8))
        var size = 16
        while size < 2 * tokens.count { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        for id in tokens.indices {
            let s = spellings[id]
            var i = Self.hash(s) & (size - 1)
            while slots[i] != 0 {
                if spellings[Int(slots[i]) - 1].elementsEqual(s) { break }  // keep the first id
                i = (i + 1) & (size - 1)
            }
            if slots[i] == 0 { slots[i] = Int32(id + 1) }
        }
        self.slots = slots
    }

    /// The id spelled `spelling`, if any.
    public subscript<C: Collection>(spelling: C) -> Int32? where C.Element == UInt8 {
        var i = Self.hash(spelling) & (slots.count - 1)
        while slots[i] != 0 {
            let id = Int(slots[i]) - 1
            if spellings[id].elementsEqual(spelling) { return Int32(id) }
            i = (i + 1) & (slots.count - 1)
        }
        return nil
    }

    /// FNV-1a over the bytes.
    private static func hash<C: Collection>(_ s: C) -> Int where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}
