import AttentionEngine
import TestSupport
import XCTest

/// A first check that the tiled kernel is exact on an awkward size; the full correctness
/// matrix lives in FlashCorrectnessTests.
final class FlashSmokeTests: XCTestCase {
    func testFlashMatchesReferenceOnAwkwardCausalGQAShape() throws {
        let inputs = randomInputs(seq: 133, heads: 4, kvHeads: 2, dim: 40)
        let out = try FlashAttention().run(inputs, context: RunContext(threads: 2))
        XCTAssertLessThan(try relativeErrorAgainstReference(out.output, inputs), 1e-5)
        XCTAssertEqual(out.flops, FlopCount.dense(seq: 133, headDim: 40, heads: 4, causal: true))
    }
}
