@testable import AttentionEngine
import TestSupport
import XCTest

/// 16-bit standard attention (`dense:precision=fp16|bf16`) against a scalar model written
/// from its documented rounding places.
final class LowPrecisionDenseTests: XCTestCase {
    /// Q̃ = r(r(Q)/√d); S = r(Q̃·r(K)ᵀ); P = r(softmax(S)); O = r(P·r(V)); float32 sums in index order.
    func model(_ inputs: AttentionInputs, _ f: FloatFormat) -> [Float] {
        let n = inputs.seq, d = inputs.headDim, group = inputs.groupSize
        var out = [Float](repeating: 0, count: inputs.heads * n * d)
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
                var o = [Float](repeating: 0, count: d)
                for j in 0..<keys {
                    let p = f.round(e[j] / sum)
                    for c in 0..<d { o[c] = o[c].addingProduct(p, f.round(inputs.v.data[inputs.v.offset(head: h / group, row: j) + c])) }
                }
                for c in 0..<d { out[(h * n + i) * d + c] = f.round(o[c]) }
            }
        }
        return out
    }

    func testMatchesScalarModelOnAwkwardGQAShapes() throws {
        for (causal, format, precision) in [(true, FloatFormat.float16, NumericPrecision.fp16), (false, .float16, .fp16), (true, .bfloat16, .bf16)] {
            let inputs = randomInputs(seq: 53, heads: 4, kvHeads: 2, dim: 24, causal: causal, workload: .outliers, seed: 4)
            let out = try DenseAttention(precision: precision).run(inputs, context: RunContext(threads: 2))
            let expected = model(inputs, format)
            let differing = zip(out.output.data, expected).filter { $0 != $1 }.count
            // Summation order of the softmax denominator may move a probability across a
            // rounding boundary now and then; nothing else may differ.
            XCTAssertLessThan(Double(differing) / Double(expected.count), 0.02, "\(format) causal=\(causal)")
            let exactError = try relativeErrorAgainstReference(out.output, inputs)
            XCTAssertGreaterThan(exactError, 1e-5, "16-bit rounding must show")
            XCTAssertEqual(out.flops, FlopCount.dense(seq: 53, headDim: 24, heads: 4, causal: causal))
        }
    }
}
