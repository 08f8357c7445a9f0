@testable import AttentionEngine
import XCTest

/// The incoherent transform M = D·Ĥ of FlashAttention-3: orthogonal for every head dim,
/// equal to the Sylvester construction for powers of two, seeded.
final class HadamardTests: XCTestCase {
    /// Row i of M is e_i·M.
    private func matrix(_ t: IncoherentTransform) -> [[Double]] {
        (0..<t.dim).map { i in
            var row = [Float](repeating: 0, count: t.dim)
            row[i] = 1
            row.withUnsafeMutableBufferPointer { t.apply($0.baseAddress!) }
            return row.map(Double.init)
        }
    }

    func testOrthogonalForPowerOfTwoAndOtherHeadDims() {
        for d in [1, 2, 3, 8, 40, 64, 96, 100, 128] {
            let m = matrix(IncoherentTransform(dim: d, seed: 5))
            var worst = 0.0
            for i in 0..<d {
                for j in 0..<d {
                    let dot = (0..<d).reduce(0.0) { $0 + m[i][$1] * m[j][$1] }
                    worst = max(worst, abs(dot - (i == j ? 1 : 0)))
                }
            }
            XCTAssertLessThan(worst, 1e-6, "M·Mᵀ = I for d = \(d)")
        }
    }

    func testBlocksFollowTheBinaryExpansion() {
        XCTAssertEqual(IncoherentTransform(dim: 128, seed: 1).blocks, [0..<128])
        XCTAssertEqual(IncoherentTransform(dim: 96, seed: 1).blocks, [0..<64, 64..<96])
        XCTAssertEqual(IncoherentTransform(dim: 40, seed: 1).blocks, [0..<32, 32..<40])
        XCTAssertEqual(IncoherentTransform(dim: 33, seed: 1).blocks, [0..<32, 32..<33])
        XCTAssertEqual(IncoherentTransform(dim: 128, seed: 1).flopsPerRow, 128 * 7 + 128)
        XCTAssertEqual(IncoherentTransform(dim: 33, seed: 1).flopsPerRow, 32 * 5 + 32)
    }

    /// For d = 2^k, M_ij = s_i · (−1)^popcount(i & j) / √d (Sylvester's Hadamard matrix).
    func testMatchesSylvesterHadamardWithRandomSigns() {
        for d in [2, 16, 64] {
            let t = IncoherentTransform(dim: d, seed: 9)
            let m = matrix(t)
            for i in 0..<d {
                for j in 0..<d {
                    let expected = Double(t.signs[i]) * ((i & j).nonzeroBitCount % 2 == 0 ? 1 : -1) / Double(d).squareRoot()
                    XCTAssertEqual(m[i][j], expected, accuracy: 1e-7, "d=\(d) [\(i)][\(j)]")
                }
            }
        }
    }

    func testSignsAreSeeded() {
        let a = IncoherentTransform(dim: 64, seed: 3), b = IncoherentTransform(dim: 64, seed: 3)
        let c = IncoherentTransform(dim: 64, seed: 4)
        XCTAssertEqual(a.signs, b.signs)
        XCTAssertNotEqual(a.signs, c.signs)
        XCTAssertTrue(a.signs.allSatisfy { $0 == 1 || $0 == -1 })
        XCTAssertTrue(a.signs.contains(1) && a.signs.contains(-1))
    }

    /// An outlier is spread: the transformed row's amax drops by about √d.
    func testSpreadsAnOutlier() {
        var row = [Float](repeating: 0, count: 128)
        row[17] = 100
        row.withUnsafeMutableBufferPointer { IncoherentTransform(dim: 128, seed: 2).apply($0.baseAddress!) }
        XCTAssertEqual(row.map(abs).max()!, 100 / Float(128).squareRoot(), accuracy: 1e-4)
        XCTAssertEqual(row.map(abs).min()!, 100 / Float(128).squareRoot(), accuracy: 1e-4)
    }
}
