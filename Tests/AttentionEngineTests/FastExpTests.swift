import AttentionEngine
import Foundation
import XCTest

/// The vectorised exponentials against Double exp: relative error over the softmax range,
/// a few positive arguments, and exact zeros where they underflow.
final class FastExpTests: XCTestCase {
    /// Largest relative error of `f` over `xs` against `exact`, 16 lanes at a time.
    func maxRelativeError(_ xs: [Float], _ f: (SIMD16<Float>) -> SIMD16<Float>, exact: (Double) -> Double) -> Double {
        var worst = 0.0
        for start in stride(from: 0, to: xs.count, by: 16) {
            var v = SIMD16<Float>(repeating: xs[start])
            for l in 0..<16 where start + l < xs.count { v[l] = xs[start + l] }
            let y = f(v)
            for l in 0..<16 where start + l < xs.count {
                let e = exact(Double(v[l]))
                worst = max(worst, abs(Double(y[l]) - e) / e)
            }
        }
        return worst
    }

    /// An even grid plus the points around every multiple of `edge` (where the range
    /// reduction switches to the next power of two: ln 2 / 2 for exp, 1/2 for exp2).
    func arguments(from lo: Float, to hi: Float, count: Int, edge: Float) -> [Float] {
        var xs = (0..<count).map { lo + (hi - lo) * Float($0) / Float(count - 1) }
        var k = (lo / edge).rounded(.up)
        while k * edge <= hi {
            let x = k * edge
            xs += [x.nextDown, x, x.nextUp]
            k += 1
        }
        return xs.filter { $0 >= lo && $0 <= hi }
    }

    func testFastExpRelativeErrorOverTheSoftmaxRange() {
        let err = maxRelativeError(arguments(from: -87, to: 0, count: 200_000, edge: 0.34657359), fastExp, exact: Foundation.exp)
        XCTAssertLessThan(err, 2.5e-7)
    }

    func testFastExpOnPositiveArguments() {
        let err = maxRelativeError([1e-6, 0.5, 1, 2.5, 10, 33.3, 50, 87.5], fastExp, exact: Foundation.exp)
        XCTAssertLessThan(err, 2.5e-7)
        XCTAssertEqual(fastExp(Float(1)), Float(M_E), accuracy: 1e-6)
    }

    func testFastExpUnderflowsToZero() {
        let y = fastExp(SIMD16<Float>(-87.5, -88, -100, -1e30, -.infinity, -87.5, -88, -100, -1e30, -.infinity,
                                      -87.5, -88, -100, -1e30, -.infinity, -200))
        XCTAssertEqual(y, .zero)
    }

    func testFastExp2RelativeErrorOverTheSoftmaxRange() {
        let xs = arguments(from: -126, to: 0, count: 200_000, edge: 0.5)
        let err = maxRelativeError(xs, fastExp2, exact: { Foundation.exp2($0) })
        XCTAssertLessThan(err, 2.5e-7)
    }

    /// Masked scores are −∞ and must contribute exactly nothing.
    func testFastExp2IsExactlyZeroAtAndBelowMinus127() {
        let y = fastExp2(SIMD16<Float>(-127, -127.5, -128, -200, -1e30, -.infinity, -127, -300,
                                       -127, -127.5, -128, -200, -1e30, -.infinity, -127, -300))
        XCTAssertEqual(y, .zero)
        XCTAssertEqual(fastExp2(SIMD16(repeating: 0)), SIMD16(repeating: 1))
    }
}
