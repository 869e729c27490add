import CKernels
import Kernels
import XCTest

/// The AVX2 register tiles of Q4_K and Q6_K (two weight rows × up to four activation rows):
/// for ragged shapes — odd weight row ranges, activation counts that leave 1, 2 and 3 rows
/// over, more activation rows than one L2 pass holds — every output equals the same pair
/// computed alone (a 1 × 1 tile) bit for bit, and the portable dot product within rounding
/// (TileCheck).
final class KQuantTileTests: XCTestCase {
    override func setUp() { Ops.setup() }
    override func tearDown() { Ops.setSIMD(true) }

    func testTilesEqualOnePairAloneAndThePortableDot() throws {
        try XCTSkipUnless(tern_using_avx2() != 0, "no AVX2 on this CPU")
        var rng = SystemRandomNumberGenerator()
        let layouts = QuantDotTests.layouts.filter { $0.type == Int32(TERN_Q4_K) || $0.type == Int32(TERN_Q6_K) }
        XCTAssertEqual(layouts.count, 2)
        // Q8_256 blocks: d, 16 group sums, 256 bytes (292 bytes).
        let tiles = TileCheck(matmul: tern_matmul_kquant_avx2, fmt: Int32(TERN_ACT_Q8_256), actElems: 256, actBlockBytes: 292, actQsAt: 36)
        for layout in layouts {
            // (k, weight rows, activation rows): 1 801 rows of 292 bytes pass 512 KB (1 792 rows a pass).
            for (k, rows, nvec) in [(256, 7, 11), (768, 5, 6), (2304, 3, 9), (256, 3, 1801)] {
                tiles.check(layout, k: k, rows: rows, nvec: nvec, rng: &rng)
            }
        }
    }
}
