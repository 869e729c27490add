import CKernels
import Kernels
import XCTest

/// The AVX2 register tiles of Q4_0, Q5_0 and Q8_0 (up to four weight rows × two activation
/// rows in decode, two × four in batches): for ragged shapes — weight row ranges that leave
/// 1, 2 and 3 rows over, activation counts that leave 1, 2 and 3 rows over, more activation
/// rows than one L2 pass holds — every output equals the same pair computed alone (a 1 × 1
/// tile, which is also the one-row dot) bit for bit, and the portable dot product within
/// rounding (TileCheck).
final class Block32TileTests: XCTestCase {
    override func setUp() { Ops.setup() }
    override func tearDown() { Ops.setSIMD(true) }

    func testTilesEqualOnePairAloneAndThePortableDot() throws {
        try XCTSkipUnless(tern_using_avx2() != 0, "no AVX2 on this CPU")
        var rng = SystemRandomNumberGenerator()
        let types = [TERN_Q4_0, TERN_Q5_0, TERN_Q8_0].map { Int32($0) }
        let layouts = QuantDotTests.layouts.filter { types.contains($0.type) }
        XCTAssertEqual(layouts.count, 3)
        // Activations as the AVX2 path takes them: Q8_32 blocks of d, s and 32 bytes (40 bytes).
        let tiles = TileCheck(matmul: tern_matmul_block32_avx2, fmt: Int32(TERN_ACT_Q8_32), actElems: 32, actBlockBytes: 40, actQsAt: 8)
        for layout in layouts {
            // (k, weight rows, activation rows): decode (1-2 rows) with 4-row tiles and remainders
            // of 1-3 rows; batches with 4-row activation tiles and remainders; 13 110 rows of 40
            // bytes pass 512 KB (13 104 rows a pass).
            for (k, rows, nvec) in [(32, 9, 1), (64, 8, 2), (96, 7, 1), (2048, 6, 2), (96, 7, 11), (2048, 5, 6), (32, 4, 13110)] {
                tiles.check(layout, k: k, rows: rows, nvec: nvec, rng: &rng)
            }
        }
    }
}
