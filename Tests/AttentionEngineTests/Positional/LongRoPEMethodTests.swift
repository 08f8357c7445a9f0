import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// The `longrope` method: exact on its own rotation, its positional extras, its keys.
final class LongRoPEMethodTests: XCTestCase {
    func run(_ spec: String, _ inputs: AttentionInputs) throws -> MethodOutput {
        let method = try MethodRegistry.make(try MethodSpec(parsing: spec))
        let context = RunContext(threads: 2, seed: 3)
        return try method.prepared(for: inputs, context: context).run(inputs, context: context)
    }

    func extra(_ out: MethodOutput, _ name: String) -> Double? {
        guard case .number(let x)? = out.extras.first(where: { $0.name == name })?.value else { return nil }
        return x
    }

    /// The output is exact attention on Q/K rotated with the scaled embedding (checked in
    /// float64), for an awkward GQA shape and odd head dim, causal and not, both pairings.
    /// The rotation is the closed form with YaRN's factors as the README gives them: with
    /// dim(r) = d·ln(L/(2πr))/(2 ln base), ramp_i = clamp((i − ⌊dim(32)⌋)/(⌈dim(1)⌉ − ⌊dim(32)⌋), 0, 1)
    /// (ends clamped to [0, d − 1]), θ_i = base^(−2i/d)·(ramp_i/s + 1 − ramp_i), attention
    /// factor 0.1·ln s + 1, n̂ = 3.
    func testOutputIsExactAttentionOnTheScaledRotation() throws {
        let (d, base, original, seq) = (33, 500.0, 40, 150)
        let s = Double(seq) / Double(original)
        func dim(_ r: Double) -> Double { Double(d) * log(Double(original) / (2 * Double.pi * r)) / (2 * log(base)) }
        let (low, high) = (max(0, dim(32).rounded(.down)), min(Double(d - 1), dim(1).rounded(.up)))
        XCTAssertLessThan(low, high, "a ramp of several pairs")
        let factors = (0..<d / 2).map { i -> Double in
            let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
            return 1 / (ramp / s + 1 - ramp)
        }
        XCTAssertEqual(factors.first, 1, "the fastest pair keeps its frequency")
        XCTAssertEqual(factors.last!, s, accuracy: 1e-12, "the slowest pair is interpolated by s")
        for (causal, interleaved) in [(true, false), (false, true)] {
            let closed = ClosedFormRope(headDim: d, base: base, factors: factors, attentionFactor: 0.1 * log(s) + 1, nhat: 3, interleaved: interleaved)
            var inputs = randomInputs(seq: seq, heads: 4, kvHeads: 2, dim: d, causal: causal)
            inputs.rope = RopeSettings(mode: .none, base: base, style: closed.style)
            var rotated = inputs
            rotated.q = closed.rotate(inputs.qContent)
            rotated.k = closed.rotate(inputs.kContent)
            let out = try run("longrope:scaling=yarn,original=40,nhat=3", inputs)
            XCTAssertLessThan(try relativeErrorAgainstReference(out.output, rotated), 1e-5, "\(closed.style)")
            XCTAssertEqual(extra(out, "attention_factor")!, closed.attentionFactor, accuracy: 1e-12)
        }
    }

    func testPositionalExtrasRankTheScalingsAsExpected() throws {
        var inputs = randomInputs(seq: 1200, heads: 2, dim: 32)
        inputs.rope = RopeSettings(mode: .standard)
        let none = try run("longrope:scaling=none,original=200", inputs)
        let pi = try run("longrope:scaling=pi,original=200", inputs)
        let ntk = try run("longrope:scaling=ntk,original=200", inputs)
        let yarn = try run("longrope:scaling=yarn,original=200", inputs)
        // Standard RoPE at 6× its length: every pair slower than one turn per 200 tokens is out of range.
        let slowPairs = (0..<16).filter { 200 * pow(10_000.0, -Double(2 * $0) / 32) < 2 * Double.pi }.count
        XCTAssertEqual(extra(none, "ood_dims"), Double(slowPairs))
        XCTAssertEqual(extra(pi, "ood_dims"), 0)
        XCTAssertEqual(extra(yarn, "ood_dims"), 0)
        XCTAssertEqual(extra(ntk, "ood_dims"), Double(slowPairs - 1), "NTK interpolates only its slowest pair by the full s")
        XCTAssertEqual(extra(none, "local_fidelity"), 1)
        XCTAssertTrue(extra(none, "min_period_tokens")!.isNaN, "nothing interpolated")
        XCTAssertEqual(extra(pi, "min_period_tokens")!, 2 * Double.pi * 6, accuracy: 1e-9, "PI interpolates the fastest pair by s = 6")
        // YaRN: the period of its first (partially) interpolated pair, 2π·λ_i/θ_i.
        var yarnScaling = RopeScaling(kind: .yarn, headDim: 32, base: 10_000, original: 200)
        yarnScaling.target = 1200
        let yarnRope = try yarnScaling.resolved(seq: 1200, style: .half)
        let first = yarnRope.factors.firstIndex { $0 > 1 + 1e-9 }!
        XCTAssertEqual(extra(yarn, "min_period_tokens")!, 2 * Double.pi * yarnRope.factors[first] / yarnRope.standardInvFreq[first], accuracy: 1e-9)
        for out in [pi, ntk, yarn] {
            XCTAssertLessThan(extra(out, "local_fidelity")!, 1)
            XCTAssertGreaterThan(extra(out, "local_fidelity")!, 0)
        }
        XCTAssertNil(extra(pi, "needle_mass"), "needle_mass only on the needle workload")
    }

    /// Key 40 of each kv head = 30 × the mean of the last 16 queries of that head.
    func plantedNeedle(_ q: HeadTensor, _ k: HeadTensor) -> HeadTensor {
        var k = k
        for h in 0..<k.heads {
            var mean = [Float](repeating: 0, count: q.dim)
            for i in q.seq - 16..<q.seq { for c in 0..<q.dim { mean[c] += q.data[q.offset(head: h, row: i) + c] / 16 } }
            for c in 0..<q.dim { k.data[k.offset(head: h, row: 40) + c] = 30 * mean[c] }
        }
        return k
    }

    func testNeedleMassIsTheExactSoftmaxMassOnThePlantedKey() {
        let inputs = randomInputs(seq: 300, heads: 2, dim: 16)
        let k = plantedNeedle(inputs.q, inputs.k)
        // Independent float64 softmax over all allowed keys, last 16 rows, both heads.
        var expected = 0.0
        for h in 0..<2 {
            for i in 284..<300 {
                let q = inputs.q.row(head: h, i)
                let scores = (0...i).map { j in zip(q, k.row(head: h, j)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } / 4 }
                let mx = scores.max()!
                expected += exp(scores[40] - mx) / scores.reduce(0) { $0 + exp($1 - mx) } / 32
            }
        }
        XCTAssertEqual(NeedleMass.measure(q: inputs.q, k: k, causal: true, needle: 40, threads: 2), expected, accuracy: 1e-12)
        XCTAssertGreaterThan(expected, 0.2, "the planted key stands out")
    }

    func testMethodReportsNeedleMassOfItsOwnRotation() throws {
        var inputs = randomInputs(seq: 300, heads: 2, dim: 16)
        inputs.kContent = plantedNeedle(inputs.qContent, inputs.kContent)
        inputs.k = inputs.kContent
        inputs.annotations = WorkloadAnnotations(needlePosition: 40)
        // PI at s = 300/100: every θ_i = base^(−2i/d)/3, attention factor 1.
        let closed = ClosedFormRope(headDim: 16, base: 10_000, factors: Array(repeating: 3, count: 8), interleaved: false)
        let out = try run("longrope:scaling=pi,original=100", inputs)
        let expected = NeedleMass.measure(q: closed.rotate(inputs.qContent), k: closed.rotate(inputs.kContent),
                                          causal: true, needle: 40, threads: 2)
        XCTAssertEqual(extra(out, "needle_mass")!, expected, accuracy: 1e-6 * expected)
    }

    /// search=on in a comparison: the search runs once before the timed runs, and the row
    /// reports its score with the positional extras of the factors it found.
    func testSearchOnInAComparison() throws {
        var spec = RunSpec()
        (spec.seq, spec.heads, spec.kvHeads, spec.headDim, spec.rope, spec.threads) = (700, 2, 2, 32, .standard, 2)
        (spec.repeat, spec.warmup) = (2, 1)
        spec.methods = [try MethodSpec(parsing: "longrope:search=on,original=128,population=8,generations=3,mutations=4,crossovers=4,parents=4,label=searched")]
        let report = try ComparisonRunner(spec: spec).run()
        let row = report.rows[0]
        func number(_ name: String) -> Double? { if case .number(let x)? = row.value(of: name) { return x } else { return nil } }
        XCTAssertNotNil(number("search_score"))
        XCTAssertNotNil(number("search_ms"))
        XCTAssertEqual(number("ood_dims"), 0)
        XCTAssertEqual(row.value(of: "scaling"), .text("longrope"))
        XCTAssertEqual(row.value(of: "factor_set"), .text("long"))
        XCTAssertEqual(number("attention_factor")!, (1 + log(700.0 / 128) / log(128.0)).squareRoot(), accuracy: 1e-12)
        // search_score is the best proxy score of the same search run directly on the run's
        // content (target = N, the run's seed), and no worse than any of its PI/NTK/YaRN seeds.
        let inputs = try InputPreparation.prepare(spec)
        let space = try SearchSpace(headDim: 32, base: 10_000, original: 128, target: 700)
        var settings = FactorSearchSettings()
        (settings.population, settings.generations, settings.mutations, settings.crossovers, settings.parents) = (8, 3, 4, 4, 4)
        settings.seed = spec.seed
        let proxy = ProxyObjective(content: inputs, space: space, threads: 2)
        let direct = try FactorSearch(space: space, settings: settings).run(objective: proxy, threads: 2)
        XCTAssertEqual(number("search_score"), direct.bestScore)
        for seed in direct.seeds { XCTAssertLessThanOrEqual(direct.bestScore, seed.score!, seed.name) }
        XCTAssertEqual(direct.bestScore, proxy.breakdown(direct.best).score)
    }

    func testKeyErrorsNameTheKey() throws {
        assertMethodSpecRejected("longrope:scaling=rotary", mentions: "method 'longrope': key 'scaling=rotary' must be one of none, pi, ntk, dynamic-ntk, yarn, longrope")
        assertMethodSpecRejected("longrope", mentions: "factors=FILE")
        assertMethodSpecRejected("longrope:scaling=pi,population=8", mentions: "'population' only applies with search=on")
        assertMethodSpecRejected("longrope:search=on,scaling=yarn", mentions: "scaling=yarn")
        assertMethodSpecRejected("longrope:search=on,parents=70", mentions: "parents=70")
        assertMethodSpecRejected("longrope:search=on,objective=perplexity", mentions: "objective")
        assertMethodSpecRejected("longrope:scaling=pi,original=4096,target=100", mentions: "target=100")
        assertMethodSpecRejected("longrope:scaling=pi,tile_q=64", mentions: "unknown key 'tile_q'")
    }
}
