@testable import AttentionEngine
import TestSupport
import XCTest

/// FlashAttention-3's emulated low-precision kernel against an independent scalar model
/// with the same rounding places, against the float64 reference, and the orderings of the
/// paper's error table.
final class QuantizedFlashTests: XCTestCase {
    /// A straightforward scalar emulation, one query row at a time, written from the
    /// rounding places documented in `FlashNumerics` (not from the kernel's code): the
    /// same quantisation, the same key tiles, float32 accumulation in index order.
    struct ScalarModel {
        let numerics: FlashNumerics
        let tileQ: Int, tileK: Int, seed: UInt64

        func quantise(_ t: HeadTensor, blockRows: Int, transform: Bool) -> (values: [Float], descale: (Int, Int) -> Float) {
            let f = numerics.precision.storage, d = t.dim, n = t.seq
            let m = transform ? IncoherentTransform(dim: d, seed: seed) : nil
            var x = t.data
            if let m { for r in 0..<t.heads * n { x.withUnsafeMutableBufferPointer { m.apply($0.baseAddress! + r * d) } } }
            let blocks = (n + blockRows - 1) / blockRows
            var amax = [Float](repeating: 0, count: t.heads * blocks)
            for h in 0..<t.heads { for r in 0..<n { for c in 0..<d { amax[h * blocks + r / blockRows] = max(amax[h * blocks + r / blockRows], abs(x[(h * n + r) * d + c])) } } }
            var scale = [Float](repeating: 1, count: amax.count)
            if numerics.precision == .fp8 {
                let global = amax.max()!
                for i in scale.indices {
                    let a = numerics.scaling == .tensor ? global : amax[i]
                    if a > 0 { scale[i] = 448 / a }
                }
            }
            for h in 0..<t.heads { for r in 0..<n { for c in 0..<d {
                let i = (h * n + r) * d + c
                let s = scale[h * blocks + r / blockRows]
                x[i] = f.round(x[i] * s)
            } } }
            let finalScale = scale
            return (x, { h, r in 1 / finalScale[h * blocks + r / blockRows] })
        }

        func run(_ inputs: AttentionInputs) -> [Float] {
            let n = inputs.seq, d = inputs.headDim, group = inputs.groupSize
            let sm = numerics.softmax == .fp16 ? FloatFormat.float16 : .float32
            let work = numerics.precision.storage
            let outFormat = numerics.precision == .fp8 ? FloatFormat.bfloat16 : work
            func r(_ f: FloatFormat, _ x: Float) -> Float { f.round(x) }
            let q = quantise(inputs.q, blockRows: tileQ, transform: numerics.hadamard)
            let k = quantise(inputs.k, blockRows: tileK, transform: numerics.hadamard)
            let v = quantise(inputs.v, blockRows: tileK, transform: false)
            var out = [Float](repeating: 0, count: inputs.heads * n * d)
            for h in 0..<inputs.heads {
                let g = h / group
                for i in 0..<n {
                    var m = -Float.infinity, l: Float = 0
                    var o = [Float](repeating: 0, count: d)
                    var c0 = 0
                    while c0 < n {
                        let count = min(tileK, n - c0)
                        let allowed = inputs.causal ? min(max(i - c0 + 1, 0), count) : count
                        if allowed == 0 { break }
                        let sigma = (1 / Float(d).squareRoot()) * (q.descale(h, i) * k.descale(g, c0))
                        var s = [Float](repeating: 0, count: allowed)
                        for j in 0..<allowed {
                            var acc: Float = 0
                            for c in 0..<d { acc = acc.addingProduct(q.values[(h * n + i) * d + c], k.values[(g * n + c0 + j) * d + c]) }
                            s[j] = r(sm, acc * sigma)
                        }
                        let mNew = max(m, s.max()!)
                        let alpha = m == -.infinity ? 0 : r(sm, fastExp(r(sm, m - mNew)))
                        var sum: Float = 0
                        var t = [Float](repeating: 0, count: d)
                        for j in 0..<allowed {
                            let p = r(sm, fastExp(r(sm, s[j] - mNew)))
                            sum += p
                            let pHat = numerics.precision == .fp8 ? r(work, p * 256) / 256 : r(work, p)
                            for c in 0..<d { t[c] = t[c].addingProduct(pHat, v.values[(g * n + c0 + j) * d + c]) }
                        }
                        l = r(sm, l * alpha + sum)
                        m = mNew
                        let vd = v.descale(g, c0)
                        for c in 0..<d { o[c] = (o[c] * alpha).addingProduct(t[c], vd) }
                        c0 += count
                    }
                    for c in 0..<d { out[(h * n + i) * d + c] = r(outFormat, o[c] * (1 / l)) }
                }
            }
            return out
        }
    }

    static let configurations: [FlashNumerics] = [
        FlashNumerics(precision: .bf16),
        FlashNumerics(precision: .fp16, softmax: .fp16),
        FlashNumerics(precision: .fp8, scaling: .block, hadamard: true),
        FlashNumerics(precision: .fp8, scaling: .tensor, hadamard: false, softmax: .fp16),
    ]

    /// The kernel reproduces the scalar model: its difference from the model is a small
    /// fraction of its difference from exact attention (float32 summation order of the row
    /// sum can move a value across a rounding boundary now and then, nothing more), on an
    /// awkward shape: N not a multiple of either tile, d = 40 (Hadamard blocks 32 + 8), GQA,
    /// causal and not.
    func testKernelMatchesScalarModelWithSameRoundingPlaces() throws {
        for (causal, tileQ, tileK) in [(true, 32, 16), (false, 32, 16), (true, 16, 48), (false, 16, 48)] {
            let inputs = randomInputs(seq: 77, heads: 4, kvHeads: 2, dim: 40, causal: causal, workload: .outliers, seed: 3)
            let reference = try Reference.compute(inputs, rows: Array(0..<77), threads: 2)
            for numerics in Self.configurations {
                let kernel = try FlashAttention(tileQ: tileQ, tileK: tileK, numerics: numerics).run(inputs, context: RunContext(threads: 2, seed: 5))
                let model = ScalarModel(numerics: numerics, tileQ: tileQ, tileK: tileK, seed: 5).run(inputs)
                let got = kernel.output.data
                var diff2 = 0.0, identical = 0
                for (a, b) in zip(got, model) {
                    diff2 += Double(a - b) * Double(a - b)
                    if a == b { identical += 1 }
                }
                let modelRMS = (diff2 / Double(got.count)).squareRoot()
                let exactRMS = ErrorMetrics(output: kernel.output, reference: reference).rmse
                let what = "\(numerics.summary) causal=\(causal) tiles \(tileQ)×\(tileK)"
                XCTAssertGreaterThan(exactRMS, 1e-5, "\(what): low precision must show an error")
                XCTAssertLessThan(modelRMS, 0.02 * exactRMS, what)
                XCTAssertGreaterThan(Double(identical) / Double(got.count), 0.97, "\(what): most outputs bit-identical")
            }
        }
    }

    /// Incoherent processing leaves exact arithmetic unchanged: precision=fp32 with the
    /// transform equals exact attention to float32 rounding (and the plain float32 kernel).
    func testFloat32WithHadamardEqualsExactAttention() throws {
        for (causal, dim) in [(true, 40), (false, 128), (true, 96)] {
            let inputs = randomInputs(seq: 133, heads: 4, kvHeads: 2, dim: dim, causal: causal, workload: .outliers)
            let numerics = FlashNumerics(precision: .fp32, hadamard: true)
            let out = try FlashAttention(numerics: numerics).run(inputs, context: RunContext(threads: 2, seed: 9))
            XCTAssertLessThan(try relativeErrorAgainstReference(out.output, inputs), 2e-6, "d=\(dim) causal=\(causal)")
            let plain = try FlashAttention().run(inputs, context: RunContext(threads: 2))
            let worst = zip(out.output.data, plain.output.data).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-5, "d=\(dim): same output as the float32 kernel up to rounding")
            let transform = IncoherentTransform(dim: dim, seed: 9).flopsPerRow * 133 * (4 + 2)
            XCTAssertEqual(out.flops, FlopCount.dense(seq: 133, headDim: dim, heads: 4, causal: causal) + transform)
        }
    }

    /// The orderings of FlashAttention-3's Table (§4.3) on a small outliers problem:
    /// flash beats standard attention in fp16; block quantisation + incoherent processing
    /// beats the per-tensor fp8 baseline; dropping the transform loses most of that gain.
    func testErrorOrderingOfThePaper() throws {
        let inputs = randomInputs(seq: 512, heads: 4, kvHeads: 4, dim: 128, causal: false, workload: .outliers, seed: 1)
        let reference = try Reference.compute(inputs, rows: Array(0..<512), threads: 2)
        func rmse(_ m: any AttentionMethod) throws -> Double {
            ErrorMetrics(output: try m.run(inputs, context: RunContext(threads: 2, seed: 1)).output, reference: reference).rmse
        }
        let standard = try rmse(DenseAttention(precision: .fp16))
        let flash16 = try rmse(FlashAttention(numerics: FlashNumerics(precision: .fp16)))
        let baseline = try rmse(FlashAttention(numerics: FlashNumerics(precision: .fp8, scaling: .tensor, hadamard: false, softmax: .fp16)))
        let fa3 = try rmse(FlashAttention(numerics: FlashNumerics(precision: .fp8, scaling: .block, hadamard: true)))
        let noHadamard = try rmse(FlashAttention(numerics: FlashNumerics(precision: .fp8, scaling: .block, hadamard: false)))
        XCTAssertLessThan(flash16, standard)
        XCTAssertLessThan(fa3 * 1.5, baseline)
        XCTAssertLessThan(fa3 * 1.3, noHadamard)
    }

    /// A block whose largest value is tiny (below 448/Float.greatestFiniteMagnitude) must not
    /// overflow its fp8 scale: 0·∞ made the block's zeros NaN and every output NaN.
    func testTinyBlockKeepsAFiniteScale() throws {
        var inputs = randomInputs(seq: 256, heads: 1, dim: 16, causal: false, seed: 4)
        for i in 128 * 16..<256 * 16 { inputs.k.data[i] = 0 }
        inputs.k.data[130 * 16 + 3] = 1e-37
        for scaling in [FlashNumerics.Scaling.block, .tensor] {
            let numerics = FlashNumerics(precision: .fp8, scaling: scaling, hadamard: false)
            let out = try FlashAttention(tileQ: 128, tileK: 128, numerics: numerics).run(inputs, context: RunContext(threads: 2, seed: 1))
            XCTAssertTrue(out.output.data.allSatisfy(\.isFinite), "\(scaling): outputs are finite")
            XCTAssertLessThan(try relativeErrorAgainstReference(out.output, inputs), 0.1, "\(scaling)")
        }
    }

    func testKeysAreValidated() throws {
        func make(_ text: String) throws -> any AttentionMethod { try MethodRegistry.make(try MethodSpec(parsing: text)) }
        for bad in ["flash:precision=fp16,scaling=block", "flash:scaling=tensor", "flash:precision=fp4",
                    "flash:precision=fp8,hadamard=maybe", "flash:softmax=bf16", "dense:precision=fp8"] {
            XCTAssertThrowsError(try make(bad), bad) { XCTAssertEqual(($0 as? EngineError)?.kind, .usage, bad) }
        }
        let fp8 = try XCTUnwrap(try make("flash:precision=fp8") as? FlashAttention)
        XCTAssertEqual(fp8.numerics, FlashNumerics(precision: .fp8, scaling: .block, hadamard: true), "fp8 defaults to FA3's recipe")
        let off = try XCTUnwrap(try make("flash:precision=fp8,hadamard=off,scaling=tensor") as? FlashAttention)
        XCTAssertEqual(off.numerics, FlashNumerics(precision: .fp8, scaling: .tensor, hadamard: false))
        let plain = try XCTUnwrap(try make("flash") as? FlashAttention)
        XCTAssertTrue(plain.numerics.isPlainFloat32)
        XCTAssertEqual(plain.tiles(headDim: 128).k, 256, "the float32 kernel keeps its own tiles")
    }
}
