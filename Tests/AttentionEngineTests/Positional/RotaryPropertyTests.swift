@testable import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// Rotation is correct: it is the closed-form rotation (`ClosedFormRope`), norms are kept
/// (times the attention factor), q·k after rotation depends only on the position difference,
/// n̂ keeps the standard rotation, and LongRoPE at factor 1 is standard RoPE to float32 rounding.
final class RotaryPropertyTests: XCTestCase {
    func randomRow(_ d: Int, stream: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: 11, stream: stream)
        return (0..<d).map { _ in Float(rng.normal()) }
    }

    func rotated(_ e: RotaryEmbedding, _ x: [Float], at p: Int) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { e.rotate($0.baseAddress!, rows: 1, dim: x.count, firstPosition: p) }
        return y
    }

    func norm(_ x: [Float]) -> Double { x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    func encodings(dim d: Int) throws -> [RotaryEmbedding] {
        try [RopeSettings.Style.half, .interleaved].flatMap { style -> [RotaryEmbedding] in
            var yarn = RopeScaling(kind: .yarn, headDim: d, base: 10_000, original: 512)
            yarn.target = 8192
            return [RotaryEmbedding(standard: RopeSettings(mode: .standard, base: 10_000, style: style), headDim: d),
                    try yarn.resolved(seq: 8192, style: style).embedding]
        }
    }

    /// The largest |got − expected| of a rotated row and the dimension it is in.
    func worst(_ got: ArraySlice<Float>, _ expected: [Double]) -> (error: Double, dim: Int) {
        zip(got, expected).enumerated().map { (abs(Double($1.0) - $1.1), $0) }.max { $0.0 < $1.0 }!
    }

    /// `rotate` on a block of rows against the rotation written out: every pair, both
    /// pairings, odd and even head dims, blocks starting at position 0, around n̂, and far out;
    /// for standard RoPE and for LongRoPE factors as the scaling resolves them
    /// (θ_i = base^(−2i/d)/λ_i, attention factor √(1 + ln s / ln L), n̂ = 4).
    func testRotationIsTheClosedFormRotation() throws {
        let (original, target, nhat) = (512, 8192, 4)
        let attentionFactor = (1 + log(Double(target) / Double(original)) / log(Double(original))).squareRoot()
        for d in [8, 33, 64] {
            let factors = (0..<d / 2).map { 1 + 0.37 * Double($0) }
            let rows = (0..<3).map { randomRow(d, stream: 1000 + UInt64(10 * d + $0)) }
            for interleaved in [false, true] {
                let style: RopeSettings.Style = interleaved ? .interleaved : .half
                var longrope = RopeScaling(kind: .longrope, headDim: d, base: 500, original: original)
                longrope.factors = LongRoPEFactors(long: factors, source: "test")
                longrope.target = target
                longrope.nhat = nhat
                let cases: [(String, RotaryEmbedding, ClosedFormRope)] = [
                    ("standard", RotaryEmbedding(standard: RopeSettings(mode: .standard, base: 10_000, style: style), headDim: d),
                     ClosedFormRope(headDim: d, base: 10_000, interleaved: interleaved)),
                    ("longrope", try longrope.resolved(seq: target, style: style).embedding,
                     ClosedFormRope(headDim: d, base: 500, factors: factors, attentionFactor: attentionFactor, nhat: nhat, interleaved: interleaved)),
                ]
                for (name, e, closed) in cases {
                    for first in [0, 1, 3, 4, 17, 4095, 1_000_003] {
                        var block = rows.flatMap { $0 }
                        block.withUnsafeMutableBufferPointer { e.rotate($0.baseAddress!, rows: rows.count, dim: d, firstPosition: first) }
                        for r in rows.indices {
                            let (error, dim) = worst(block[r * d..<(r + 1) * d], closed.rotate(rows[r], at: first + r))
                            XCTAssertLessThan(error, 5e-7, "\(name) d=\(d) \(style) position \(first + r): dim \(dim) is off by \(error)")
                        }
                    }
                }
            }
        }
    }

    /// `rotated` rotates row r of every head at position r, across its 1024-row blocks.
    func testRotatedTensorIsTheClosedFormRotation() {
        let d = 10
        let inputs = randomInputs(seq: 1030, heads: 2, dim: d)
        let factors = (0..<d / 2).map { 1 + Double($0) }
        for interleaved in [false, true] {
            let closed = ClosedFormRope(headDim: d, base: 10_000, factors: factors, attentionFactor: 1.25, nhat: 3, interleaved: interleaved)
            let standard = (0..<d / 2).map { pow(10_000, -2 * Double($0) / Double(d)) }
            let e = RotaryEmbedding(invFreq: zip(standard, factors).map { $0 / $1 }, attentionFactor: 1.25, style: closed.style,
                                    prefixPositions: 3, prefixInvFreq: standard)
            let got = e.rotated(inputs.qContent, threads: 2), expected = closed.rotate(inputs.qContent)
            let error = zip(got.data, expected.data).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(error, 5e-7, "\(closed.style)")
        }
    }

    func testRotationPreservesNormTimesTheAttentionFactor() throws {
        for d in [8, 33, 96, 128] {
            let x = randomRow(d, stream: UInt64(d))
            for e in try encodings(dim: d) {
                for p in [0, 1, 17, 4095, 1_000_003] {
                    XCTAssertEqual(norm(rotated(e, x, at: p)), norm(x) * e.attentionFactor, accuracy: 2e-6 * norm(x), "d=\(d) p=\(p) \(e.style)")
                }
            }
        }
    }

    func testDotProductDependsOnlyOnThePositionDifference() throws {
        for d in [16, 33, 128] {
            let q = randomRow(d, stream: 100 + UInt64(d)), k = randomRow(d, stream: 200 + UInt64(d))
            for e in try encodings(dim: d) {
                for (m, n) in [(5, 3), (100, 0), (4000, 3900)] {
                    let base = dot(rotated(e, q, at: m), rotated(e, k, at: n))
                    for shift in [1, 77, 50_000] {
                        let shifted = dot(rotated(e, q, at: m + shift), rotated(e, k, at: n + shift))
                        XCTAssertEqual(shifted, base, accuracy: 1e-4 * Double(d), "d=\(d) (\(m),\(n))+\(shift) \(e.style)")
                    }
                }
            }
        }
    }

    /// local_fidelity scores a window from the angle difference alone (a cos/sin table, or
    /// direct angles where n̂ is involved); its window probabilities must be the softmax of
    /// ⟨R(φ_i)q, R(φ_j)k⟩/√d with both rows rotated by the closed form. Odd head dim, GQA,
    /// n̂ > 0 with an attention factor (query rows below n̂ and windows reaching below it),
    /// both pairings, causal and not.
    func testRelativeFormUsedByLocalFidelityMatchesRotatedDotProducts() {
        let (d, seq, window) = (25, 300, 100)
        for (causal, interleaved) in [(true, false), (false, true)] {
            let inputs = randomInputs(seq: seq, heads: 4, kvHeads: 2, dim: d, causal: causal)
            let factors = (0..<d / 2).map { 1 + 0.5 * Double($0) }
            for closed in [ClosedFormRope(headDim: d, base: 10_000, interleaved: interleaved),
                           ClosedFormRope(headDim: d, base: 10_000, factors: factors, attentionFactor: 1.3, nhat: 5, interleaved: interleaved)] {
                let standard = (0..<d / 2).map { closed.standardTheta($0) }
                let e = RotaryEmbedding(invFreq: zip(standard, closed.factors).map { $0 / $1 }, attentionFactor: closed.attentionFactor,
                                        style: closed.style, prefixPositions: closed.nhat, prefixInvFreq: closed.nhat > 0 ? standard : [])
                let local = LocalAttentionWindow(content: inputs, window: window, rowsPerHead: 5,
                                                 standard: RotaryEmbedding(invFreq: standard, style: closed.style), threads: 2)
                XCTAssertTrue(local.samples.contains { $0.row < closed.nhat } || closed.nhat == 0, "a query row below n̂ is sampled")
                let table = AngleTable(e, span: window)
                for sample in local.samples {
                    let i = sample.row
                    let keys = causal ? max(0, i - window + 1)...i : max(0, i - window + 1)...min(seq - 1, i + window - 1)
                    let q = closed.rotate(inputs.qContent.row(head: sample.head, i), at: i)
                    let scores = keys.map { j in
                        zip(q, closed.rotate(inputs.kContent.row(head: sample.head / 2, j), at: j)).reduce(0) { $0 + $1.0 * $1.1 } / Double(d).squareRoot()
                    }
                    let mx = scores.max()!, total = scores.reduce(0) { $0 + exp($1 - mx) }
                    let expected = scores.map { exp($0 - mx) / total }
                    let got = local.windowProbabilities(sample, e, table)
                    XCTAssertEqual(got.count, expected.count, "window of row \(i)")
                    let error = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
                    XCTAssertLessThan(error, 1e-6, "head \(sample.head) row \(i) n̂=\(closed.nhat) \(closed.style) causal=\(causal)")
                }
            }
        }
    }

    /// `local_fidelity` against an independent float64 computation: rotate each sampled query
    /// and its window's keys in Double (n̂ positions at the standard frequencies and gain 1,
    /// the others scaled), softmax q·k/√d over the window, and average ½Σ|p − p_std| over the
    /// samples. Awkward shape: odd head dim, GQA, n̂ > 0, attention factor ≠ 1, both pairings,
    /// causal and not.
    func testLocalFidelityIsTheFloat64TotalVariationOfRotatedWindowAttention() {
        let d = 33, window = 37, nhat = 5
        let standard = RotaryEmbedding.standardInvFreq(headDim: d, base: 500)
        let scaled = standard.map { $0 / 3 }
        for (causal, style) in [(true, RopeSettings.Style.half), (false, .interleaved)] {
            let inputs = randomInputs(seq: 150, heads: 4, kvHeads: 2, dim: d, causal: causal)
            let e = RotaryEmbedding(invFreq: scaled, attentionFactor: 1.2, style: style, prefixPositions: nhat, prefixInvFreq: standard)
            let local = LocalAttentionWindow(content: inputs, window: window, rowsPerHead: 7,
                                             standard: RotaryEmbedding(invFreq: standard, style: style), threads: 2)
            func rotate(_ x: [Float], at p: Int, _ invFreq: [Double], gain: Double) -> [Double] {
                let freq = p < nhat ? standard : invFreq, g = p < nhat ? 1 : gain
                var y = x.map { Double($0) * g }
                for i in 0..<d / 2 {
                    let (a, b) = style == .half ? (i, i + d / 2) : (2 * i, 2 * i + 1)
                    let (c, s) = (cos(Double(p) * freq[i]), sin(Double(p) * freq[i]))
                    (y[a], y[b]) = (g * (Double(x[a]) * c - Double(x[b]) * s), g * (Double(x[a]) * s + Double(x[b]) * c))
                }
                return y
            }
            func probabilities(_ sample: LocalAttentionWindow.Sample, _ invFreq: [Double], gain: Double) -> [Double] {
                let i = sample.row
                let keys = max(0, i - window + 1)..<(causal ? i + 1 : min(150, i + window))
                let q = rotate(inputs.qContent.row(head: sample.head, i), at: i, invFreq, gain: gain)
                let scores = keys.map { j in
                    zip(q, rotate(inputs.kContent.row(head: sample.head / 2, j), at: j, invFreq, gain: gain)).reduce(0) { $0 + $1.0 * $1.1 }
                        / Double(d).squareRoot()
                }
                let mx = scores.max()!
                let total = scores.reduce(0) { $0 + exp($1 - mx) }
                return scores.map { exp($0 - mx) / total }
            }
            XCTAssertEqual(local.samples.count, 4 * 7)
            let expected = local.samples.reduce(0.0) { sum, sample in
                let p = probabilities(sample, scaled, gain: 1.2), base = probabilities(sample, standard, gain: 1)
                return sum + zip(p, base).reduce(0) { $0 + abs($1.0 - $1.1) } / 2
            } / Double(local.samples.count)
            XCTAssertGreaterThan(expected, 0.01, "the scaling moves local attention")
            XCTAssertEqual(local.fidelity(of: e, threads: 2), 1 - expected, accuracy: 1e-5)
        }
    }

    func testLeadingNhatPositionsKeepStandardRotation() {
        let d = 16
        let standard = RotaryEmbedding.standardInvFreq(headDim: d, base: 10_000)
        let scaled = RotaryEmbedding(invFreq: standard.map { $0 / 8 }, attentionFactor: 1.3, prefixPositions: 4, prefixInvFreq: standard)
        let plain = RotaryEmbedding(invFreq: standard)
        let noPrefix = RotaryEmbedding(invFreq: standard.map { $0 / 8 }, attentionFactor: 1.3)
        let x = randomRow(d, stream: 5)
        for p in 0..<4 { XCTAssertEqual(rotated(scaled, x, at: p), rotated(plain, x, at: p)) }
        for p in [4, 5, 900] { XCTAssertEqual(rotated(scaled, x, at: p), rotated(noPrefix, x, at: p)) }
    }

    /// LongRoPE with every factor 1 (and PI at s = 1) must produce exactly what standard RoPE
    /// plus flash produces, on an awkward GQA shape, causal and not.
    func testFactorOneLongRoPEEqualsStandardRoPE() throws {
        let ones = try temporaryFile("ones.json", "[" + Array(repeating: "1", count: 20).joined(separator: ",") + "]")
        for causal in [true, false] {
            var inputs = randomInputs(seq: 133, heads: 4, kvHeads: 2, dim: 40, causal: causal)
            inputs.rope = RopeSettings(mode: .standard)
            let emb = RotaryEmbedding(standard: inputs.rope, headDim: 40)
            inputs.q = emb.rotated(inputs.qContent, threads: 2)
            inputs.k = emb.rotated(inputs.kContent, threads: 2)
            let expected = try FlashAttention().run(inputs, context: RunContext(threads: 2)).output
            for spec in ["longrope:factors=\(ones)", "longrope:scaling=pi,original=133", "longrope:scaling=yarn,original=4096"] {
                let method = try MethodRegistry.make(try MethodSpec(parsing: spec))
                let out = try method.prepared(for: inputs, context: RunContext(threads: 2)).run(inputs, context: RunContext(threads: 2))
                let maxDiff = zip(out.output.data, expected.data).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(maxDiff, 1e-6, spec)
                XCTAssertEqual(out.flops, FlopCount.dense(seq: 133, headDim: 40, heads: 4, causal: causal))
            }
        }
    }
}
