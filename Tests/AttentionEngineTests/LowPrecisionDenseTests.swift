@testable import AttentionEngine
import TestSupport
import XCTest

/// 16-bit standard attention (`dense:precision=fp16|bf16`) against a scalar model written
/// from its documented rounding places.
final class LowPrecisionDenseTests: XCTestCase {
    /// Q̃ = r(r(Q)/√d); S = r(Q̃·r(K)ᵀ); P = r(softmax(S)); O = r(P·r(V)); float32 sums in index order.
    ///
    /// `slack` is, per output, how far the kernel may move it by summing the softmax
    /// denominator in another order: that sum, so every e_j/sum, may change by a relative
    /// (2·keys + 8)·2⁻²⁴, which moves r(p_j) by one ulp only when p_j lies that close to a
    /// rounding boundary, and O by Σ over those p_j of the move times |ṽ_j|.
    func model(_ inputs: AttentionInputs, _ f: FloatFormat) -> (out: [Float], slack: [Double]) {
        let n = inputs.seq, d = inputs.headDim, group = inputs.groupSize
        var out = [Float](repeating: 0, count: inputs.heads * n * d)
        var slack = [Double](repeating: 0, count: inputs.heads * n * d)
        for h in 0..<inputs.heads {
            for i in 0..<n {
                let q = (0..<d).map { f.round(f.round(inputs.q.data[inputs.q.offset(head: h, row: i) + $0]) / Float(d).squareRoot()) }
                let keys = FlopCount.allowedKeys(row: i, seq: n, causal: inputs.causal)
                let s: [Float] = (0..<keys).map { j in
                    var acc: Float = 0
                    for c in 0..<d { acc = acc.addingProduct(q[c], f.round(inputs.k.data[inputs.k.offset(head: h / group, row: j) + c])) }
                    return f.round(acc)
                }
                let mx = s.max()!
                let e = s.map { fastExp($0 - mx) }
                let sum = e.reduce(0, +)
                let margin = Double(2 * keys + 8) * 0x1p-24
                var o = [Float](repeating: 0, count: d)
                for j in 0..<keys {
                    let p = f.round(e[j] / sum)
                    let v = (0..<d).map { f.round(inputs.v.data[inputs.v.offset(head: h / group, row: j) + $0]) }
                    for c in 0..<d { o[c] = o[c].addingProduct(p, v[c]) }
                    let exact = Double(e[j]) / Double(sum)
                    let move = Double(f.round(Float(exact * (1 + margin)))) - Double(f.round(Float(exact * (1 - margin))))
                    for c in 0..<d { slack[(h * n + i) * d + c] += move * Double(abs(v[c])) }
                }
                for c in 0..<d { out[(h * n + i) * d + c] = f.round(o[c]) }
            }
        }
        return (out, slack)
    }

    /// One ulp of `format` at the larger magnitude of a and b (stored mantissa bits m, least
    /// normal exponent emin: 2^(max(e, emin) − m)).
    func ulp(_ a: Float, _ b: Float, _ format: FloatFormat) -> Double {
        let (m, emin) = format == .float16 ? (10, -14) : (7, -126)
        return Double(Float(sign: .plus, exponent: max(Int(max(abs(a), abs(b)).exponent), emin) - m, significand: 1))
    }

    func testMatchesScalarModelOnAwkwardGQAShapes() throws {
        for (causal, format, precision) in [(true, FloatFormat.float16, NumericPrecision.fp16), (false, .float16, .fp16), (true, .bfloat16, .bf16)] {
            let inputs = randomInputs(seq: 53, heads: 4, kvHeads: 2, dim: 24, causal: causal, workload: .outliers, seed: 4)
            let out = try DenseAttention(precision: precision).run(inputs, context: RunContext(threads: 2))
            let (expected, slack) = model(inputs, format)
            let what = "\(format) causal=\(causal)"
            // Summation order of the softmax denominator may move a probability across a
            // rounding boundary now and then; nothing else may differ. An output moves by what
            // those probabilities' moves explain (`slack`), and then by at most one ulp of the
            // format, where it rounds the other way.
            var differing = 0
            for (n, (a, b)) in zip(out.output.data, expected).enumerated() where a != b {
                differing += 1
                XCTAssertLessThanOrEqual(Double(abs(a - b)), slack[n] + ulp(a, b, format),
                                         "\(what): output \(n) is \(a), the model's \(b)")
            }
            XCTAssertLessThan(Double(differing) / Double(expected.count), 0.02, what)
            let exactError = try relativeErrorAgainstReference(out.output, inputs)
            XCTAssertGreaterThan(exactError, 1e-5, "16-bit rounding must show")
            XCTAssertEqual(out.flops, FlopCount.dense(seq: 53, headDim: 24, heads: 4, causal: causal))
        }
    }
}
