/// The fixed pool of KV-cache blocks: reference counts, a free queue ordered least recently
/// freed first, and the prefix cache — full blocks keyed by a hash chained over the
/// previous block's hash, kept after their last user leaves until the queue evicts them.
public final class BlockPool {
    public let numBlocks: Int
    public let blockSize: Int
    public let enablePrefixCaching: Bool
    public private(set) var refCount: [Int]
    private var hashOf: [UInt64?]            // hash of a cached (full, registered) block
    private var cached: [UInt64: Int32] = [:]
    // Free queue: doubly linked list over block ids; head is evicted first.
    private var prev: [Int32], next: [Int32]
    private var head: Int32 = -1, tail: Int32 = -1
    private var inQueue: [Bool]
    public private(set) var numFreeBlocks: Int

    /// Prefix-cache statistics: blocks looked up and blocks found.
    public private(set) var prefixQueries = 0
    public private(set) var prefixHits = 0

    public init(numBlocks: Int, blockSize: Int, enablePrefixCaching: Bool = true) {
        self.numBlocks = numBlocks
        self.blockSize = blockSize
        self.enablePrefixCaching = enablePrefixCaching
        refCount = [Int](repeating: 0, count: numBlocks)
        hashOf = [UInt64?](repeating: nil, count: numBlocks)
        prev = [Int32](repeating: -1, count: numBlocks)
        next = [Int32](repeating: -1, count: numBlocks)
        inQueue = [Bool](repeating: false, count: numBlocks)
        numFreeBlocks = 0
        for b in 0 ..< Int32(numBlocks) { enqueue(b) }
    }

    /// Blocks in use by at least one request.
    public var numUsedBlocks: Int { numBlocks - numFreeBlocks }

    private func enqueue(_ b: Int32) {
        prev[Int(b)] = tail
        next[Int(b)] = -1
        if tail >= 0 { next[Int(tail)] = b } else { head = b }
        tail = b
        inQueue[Int(b)] = true
        numFreeBlocks += 1
    }

    private func unlink(_ b: Int32) {
        let p = prev[Int(b)], n = next[Int(b)]
        if p >= 0 { next[Int(p)] = n } else { head = n }
        if n >= 0 { prev[Int(n)] = p } else { tail = p }
        inQueue[Int(b)] = false
        numFreeBlocks -= 1
    }

    /// Takes `n` fresh blocks (evicting cached ones, oldest first), or nil if fewer are free.
    public func allocate(_ n: Int) -> [Int32]? {
        guard n <= numFreeBlocks else { return nil }
        return (0 ..< n).map { _ in
            let b = head
            unlink(b)
            if let h = hashOf[Int(b)] {
                if cached[h] == b { cached[h] = nil }
                hashOf[Int(b)] = nil
            }
            refCount[Int(b)] = 1
            return b
        }
    }

    /// Gives back blocks (in the order given: earlier ones are evicted earlier).
    public func free(_ blocks: [Int32]) {
        for b in blocks {
            refCount[Int(b)] -= 1
            if refCount[Int(b)] == 0 { enqueue(b) }
        }
    }

    /// Another reference to blocks already held (e.g. a prompt shared by `n > 1` samples).
    public func retain(_ blocks: [Int32]) {
        for b in blocks { refCount[Int(b)] += 1 }
    }

    // MARK: prefix cache

    /// Hash of a full block given its parent's hash.
    public static func hash(parent: UInt64, tokens: ArraySlice<Int32>) -> UInt64 {
        var h: UInt64 = parent ^ 0x9E37_79B9_7F4A_7C15
        for t in tokens {
            h ^= UInt64(UInt32(bitPattern: t))
            h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
            h = h ^ (h >> 32)
        }
        return h
    }

    /// The hashes of the full blocks of `tokens`.
    public func blockHashes(_ tokens: [Int32]) -> [UInt64] {
        var parent: UInt64 = 0
        return stride(from: 0, through: tokens.count - blockSize, by: blockSize).map { start in
            parent = Self.hash(parent: parent, tokens: tokens[start ..< start + blockSize])
            return parent
        }
    }

    /// The hash a block of table `table` registers under, for a block of positions hashed `hash`
    /// (table 0's is the position hash itself; other tables' pages hold other layers).
    public static func tableHash(_ hash: UInt64, table: Int) -> UInt64 {
        table == 0 ? hash : Self.hash(parent: hash, tokens: [Int32(truncatingIfNeeded: -table)])
    }

    /// The cached block registered under `hash`, if any (nothing is taken).
    public func cachedBlock(_ hash: UInt64) -> Int32? { enablePrefixCaching ? cached[hash] : nil }

    /// Takes a reference to cached block `b` for a new holder.
    public func take(_ b: Int32) {
        if inQueue[Int(b)] { unlink(b) }
        refCount[Int(b)] += 1
    }

    /// Counts a prefix lookup of `queries` blocks of positions of which `hits` were found.
    public func noteLookup(queries: Int, hits: Int) {
        guard enablePrefixCaching else { return }
        prefixQueries += queries
        prefixHits += hits
    }

    /// Registers a block that became full with `hash` (if no block holds that hash yet).
    public func register(_ b: Int32, hash: UInt64) {
        guard enablePrefixCaching, hashOf[Int(b)] == nil, cached[hash] == nil else { return }
        hashOf[Int(b)] = hash
        cached[hash] = b
    }
}
