import CKernels
import Synchronization

/// A Q4_1/Q5_0/Q8_0/Q4_K/Q6_K matrix's copy for the AVX-512 VNNI kernels, sixteen rows
/// interleaved (layouts in packed_*_avx512.c): made at load by `Matmul.prepare` for the
/// matrices a model multiplies by (else by their first matmul; matrices used only for
/// embedding lookups are never copied), and freed with the matrix's last copy.
public final class PackedWeights: Sendable {
    /// tern_packed_bytes(type, rows, cols) bytes, 64-byte aligned, once packed.
    private let storage = Mutex<UInt?>(nil)

    public init() {}

    deinit {
        storage.withLock { address in
            if let address, let p = UnsafeMutableRawPointer(bitPattern: address) { p.deallocate() }
        }
    }

    /// The packed bytes of `w` (whose copy this is), packed across `pool` on first use.
    func bytes(of w: WeightMatrix, pool: ComputePool) -> UnsafeRawPointer {
        let address = storage.withLock { address -> UInt in
            if let address { return address }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: tern_packed_bytes(w.type, Int32(w.rows), Int32(w.cols)), alignment: 64)
            let groups = (w.rows + 15) / 16, at = UInt(bitPattern: buffer)
            pool.parallelRanges(groups, minChunk: 64) { g in
                tern_pack_rows(w.type, w.data, w.rowBytes, Int32(w.cols), Int32(w.rows), Int32(g.lowerBound), Int32(g.upperBound),
                               UnsafeMutableRawPointer(bitPattern: at))
            }
            address = at
            return at
        }
        return UnsafeRawPointer(bitPattern: address)!  // never 0: allocated above
    }
}
