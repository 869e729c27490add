import CKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The copies of Q4_0/Q4_1/Q5_0/Q8_0/Q4_K/Q5_K/Q6_K/IQ4_XS matrices that the AVX-512 VNNI and AVX2 kernels read,
/// sixteen rows interleaved (layouts in packed_*_avx512.c), owned by one `Matmul` and
/// found by the matrix's bytes: any `WeightMatrix` over the same bytes (and row count)
/// finds the same copy. Copies are made at load by `prepare` into a table that is only
/// read afterwards (no lock on the matmul path); a matrix that was not prepared (tests,
/// one-off tools) is packed at its first use under a lock.
final class PackedWeights: @unchecked Sendable {
    /// A matrix's identity: where its bytes start and how many rows it has.
    struct Key: Hashable {
        let address: UInt
        let rows: Int

        init(_ w: WeightMatrix) {
            address = UInt(bitPattern: w.data)
            rows = w.rows
        }
    }

    /// Written by `prepare` only, which runs before any matmul (no concurrent readers).
    private var prepared: [Key: UnsafeMutableRawPointer] = [:]
    /// Copies of matrices that were not prepared, made at their first use.
    private let late = Mutex<[Key: UInt]>([:])

    deinit {
        for p in prepared.values { p.deallocate() }
        late.withLock { copies in
            for address in copies.values { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
        }
    }

    /// Packs every packable matrix of `weights` not packed yet (not concurrently with `bytes`),
    /// handing the original's rows to `release` as they are packed (a few MB at a time, so
    /// the original and its copy are never resident together).
    func prepare(_ weights: [WeightMatrix], pool: ComputePool, release: ((WeightMatrix) -> Void)?) {
        for w in weights where tern_packs(w.type) != 0 && prepared[Key(w)] == nil {
            prepared[Key(w)] = Self.pack(w, pool: pool, release: release)
        }
    }

    /// The packed copy of `w` if one has been made.
    func existing(_ w: WeightMatrix) -> UnsafeRawPointer? {
        let key = Key(w)
        if let p = prepared[key] { return UnsafeRawPointer(p) }
        return late.withLock { copies in copies[key].flatMap { UnsafeRawPointer(bitPattern: $0) } }
    }

    /// The packed bytes of `w` (a packable type), packed across `pool` now if `prepare` did not.
    func bytes(of w: WeightMatrix, pool: ComputePool) -> UnsafeRawPointer {
        let key = Key(w)
        if let p = prepared[key] { return UnsafeRawPointer(p) }
        let address = late.withLock { copies -> UInt in
            if let address = copies[key] { return address }
            let address = UInt(bitPattern: Self.pack(w, pool: pool))
            copies[key] = address
            return address
        }
        return UnsafeRawPointer(bitPattern: address)!  // never 0: allocated by pack
    }

    /// A new packed copy of `w`: tern_packed_bytes(type, rows, cols) bytes, 64-byte aligned.
    private static func pack(_ w: WeightMatrix, pool: ComputePool, release: ((WeightMatrix) -> Void)? = nil) -> UnsafeMutableRawPointer {
        let bytes = tern_packed_bytes(w.type, Int32(w.rows), Int32(w.cols)), huge = 2 << 20
        // Large copies on 2 MB pages where the kernel allows (THP "madvise" mode): decode streams
        // them every token, and 4 KB pages stop the hardware prefetchers at every page.
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: bytes >= 2 * huge ? huge : 64)
        #if canImport(Glibc)
        if bytes >= 2 * huge { _ = madvise(buffer, bytes / huge * huge, MADV_HUGEPAGE) }
        #endif
        let groups = (w.rows + 15) / 16, at = UInt(bitPattern: buffer)
        let step = max(64, (8 << 20) / max(1, 16 * w.rowBytes))  // groups per slice: about 8 MB of the original
        for first in stride(from: 0, to: groups, by: step) {
            let slice = first ..< min(groups, first + step)
            pool.parallelRanges(slice.count, minChunk: 64) { g in
                tern_pack_rows(w.type, w.data, w.rowBytes, Int32(w.cols), Int32(w.rows), Int32(first + g.lowerBound),
                               Int32(first + g.upperBound), UnsafeMutableRawPointer(bitPattern: at))
            }
            let r0 = 16 * slice.lowerBound, r1 = min(w.rows, 16 * slice.upperBound)
            release?(WeightMatrix(type: w.type, rows: r1 - r0, cols: w.cols, rowBytes: w.rowBytes, data: w.data + r0 * w.rowBytes))
        }
        return buffer
    }
}
