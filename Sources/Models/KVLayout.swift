/// How a model's layers share the paged KV cache when some of them slide a window. Layers are
/// grouped by window (full attention first), and each group is cut into block tables of
/// `pageLayers` layers, the greatest common divisor of the group sizes: a block id (a page)
/// then holds `pageLayers` layers' K/V for `blockSize` positions whichever table it serves, so
/// one pool of pages serves every table. A sliding-window table can give back the pages its
/// window has left while the full-attention tables keep theirs (vLLM v1's hybrid KV cache idea).
/// A model without windows has one group, one table and `pageLayers` = every layer: the plain
/// layout, where a block holds all layers.
public struct KVLayout: Sendable, Equatable {
    /// Layers that attend over the same window, as `tables` block tables.
    public struct Group: Sendable, Equatable {
        /// Positions a query sees (nil: all).
        public var window: Int?
        /// Block tables of this group (each table's pages hold `pageLayers` of its layers).
        public var tables: Int

        public init(window: Int?, tables: Int) { (self.window, self.tables) = (window, tables) }
    }

    /// Full-attention group first, then one group per distinct window (smallest first).
    public let groups: [Group]
    /// Layers one page holds.
    public let pageLayers: Int
    /// Per layer: the block table it reads and writes through (tables numbered group by group).
    public let layerTable: [Int]
    /// Per layer: its slot inside a page (which of the cache's `pageLayers` K/V arrays).
    public let layerSlot: [Int]

    public var numTables: Int { layerTable.isEmpty ? 1 : (layerTable.max() ?? 0) + 1 }
    /// The window of each table.
    public var tableWindows: [Int?] { groups.flatMap { g in Array(repeating: g.window, count: g.tables) } }

    /// Every layer in one table (the layout of a model without sliding windows).
    public static func plain(numLayers: Int) -> KVLayout { KVLayout(layerWindows: Array(repeating: nil, count: numLayers)) }

    /// The layout for layers with these windows (nil: full attention).
    public init(layerWindows: [Int?]) {
        let windows = Set(layerWindows.compactMap { $0 }).sorted().map { Optional($0) }
        let order: [Int?] = (layerWindows.contains { $0 == nil } ? [nil] : []) + windows
        let members = order.map { w in layerWindows.indices.filter { layerWindows[$0] == w } }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let page = max(1, members.map(\.count).reduce(0, gcd))
        var table = [Int](repeating: 0, count: layerWindows.count), slot = table
        var groups: [Group] = [], first = 0
        for (w, layers) in zip(order, members) {
            for (i, l) in layers.enumerated() { (table[l], slot[l]) = (first + i / page, i % page) }
            groups.append(Group(window: w, tables: layers.count / page))
            first += layers.count / page
        }
        self.groups = groups.isEmpty ? [Group(window: nil, tables: 1)] : groups
        pageLayers = page
        layerTable = table
        layerSlot = slot
    }
}
