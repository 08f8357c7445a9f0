@testable import AttentionEngine
import XCTest

/// `MicroKernels.multiply` on awkward sizes (rows not a multiple of 4, leading dimensions
/// wider than the operands) against a scalar fused multiply-add chain in index order, the
/// order its documentation promises and the emulated kernels' scalar models follow.
final class MicroKernelsTests: XCTestCase {
    func testMatchesScalarFMAChainInIndexOrder() {
        var rng = SeededGenerator(seed: 4)
        for (m, k, n) in [(1, 1, 16), (4, 7, 16), (7, 5, 32), (13, 40, 48)] {
            let (lda, ldb, ldc) = (k + 3, n + 16, n + 5)
            let a = (0..<m * lda).map { _ in Float(rng.normal()) }
            let b = (0..<k * ldb).map { _ in Float(rng.normal()) }
            let start = (0..<m * ldc).map { _ in Float(rng.normal()) }
            for accumulate in [false, true] {
                var c = start
                c.withUnsafeMutableBufferPointer { cb in
                    MicroKernels.multiply(a: a, lda: lda, b: b, ldb: ldb, c: cb.baseAddress!, ldc: ldc,
                                          m: m, k: k, n: n, accumulate: accumulate)
                }
                for i in 0..<m {
                    for j in 0..<ldc {
                        var expected = j < n && !accumulate ? 0 : start[i * ldc + j]
                        if j < n { for p in 0..<k { expected = expected.addingProduct(a[i * lda + p], b[p * ldb + j]) } }
                        XCTAssertEqual(c[i * ldc + j], expected, "m=\(m) k=\(k) n=\(n) accumulate=\(accumulate) C[\(i)][\(j)]")
                    }
                }
            }
        }
    }
}
