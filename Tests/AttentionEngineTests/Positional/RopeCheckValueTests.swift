import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// DESIGN.md §4's LongRoPE check values, and every scaling's inv_freq element by element
/// against its formula written out independently here (literals from a float64 numpy
/// evaluation of the same formulas, as transformers' `modeling_rope_utils` defines them).
final class RopeCheckValueTests: XCTestCase {
    static let phi35 = projectFile("presets/data/phi35_longrope_factors.json")

    /// A Hugging Face config.json for Phi-3.5-mini's rotary settings, built from the shipped
    /// factors; `scaling` adds fields to its `rope_scaling`, `topLevel` replaces top-level ones.
    static func phi35Config(scaling extra: [String: Any] = [:], topLevel: [String: Any] = [:]) throws -> String {
        let data = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: phi35))) as! [String: Any]
        let scaling: [String: Any] = ["type": "longrope", "long_factor": data["long_factor"]!, "short_factor": data["short_factor"]!]
        let config: [String: Any] = [
            "hidden_size": 3072, "num_attention_heads": 32, "rope_theta": 10000.0,
            "original_max_position_embeddings": 4096, "max_position_embeddings": 131072,
            "rope_scaling": scaling.merging(extra) { $1 },
        ].merging(topLevel) { $1 }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        return try temporaryFile("config.json", text)
    }

    func testPhi35AttentionFactorFromConfigAndFromFactorsFile() throws {
        let config = try ModelRopeConfig.load(try Self.phi35Config())
        XCTAssertEqual(config.headDim, 96)
        XCTAssertEqual(config.kind, .longrope)
        for seq in [131_072, 4096, 100] {  // from s = max/original: the same at any length
            XCTAssertEqual(try config.resolved(seq: seq, style: .half).embedding.attentionFactor, 1.1902380714, accuracy: 1e-10)
        }
        // The factors file states the same lengths, so it gives the same factor at any length too.
        let request = try RopeScalingRequest(factorsFile: Self.phi35)
        let scaling = try request.scaling(headDim: 96, base: 10_000)
        for seq in [131_072, 8192, 4097, 100] {
            XCTAssertEqual(try scaling.resolved(seq: seq, style: .half).embedding.attentionFactor, 1.1902380714, accuracy: 1e-10, "N = \(seq)")
        }
    }

    /// transformers' `_compute_longrope_parameters` (4.x): a top-level
    /// original_max_position_embeddings (Phi-3's convention) makes s = max / original even
    /// when rope_scaling.factor is given; without it, the factor is s.
    func testATopLevelOriginalLengthOverridesTheLongRoPEFactor() throws {
        let stated = try ModelRopeConfig.load(try Self.phi35Config(scaling: ["factor": 8.0]))
        XCTAssertEqual(stated.scale, 32)
        XCTAssertEqual(try stated.resolved(seq: 131_072, style: .half).embedding.attentionFactor, 1.1902380714, accuracy: 1e-10)
        let inScaling = try ModelRopeConfig.load(try Self.phi35Config(scaling: ["factor": 8.0, "original_max_position_embeddings": 4096],
                                                                      topLevel: ["original_max_position_embeddings": NSNull()]))
        XCTAssertEqual(inScaling.scale, 8)
        XCTAssertEqual(try inScaling.resolved(seq: 131_072, style: .half).embedding.attentionFactor,
                       (1 + log(8.0) / log(4096.0)).squareRoot(), accuracy: 1e-12)
    }

    func testPhi35LongAndShortInvFreq() throws {
        let config = try ModelRopeConfig.load(try Self.phi35Config())
        let factors = try FactorFile.load(Self.phi35)
        let long = try config.resolved(seq: 131_072, style: .half)
        let short = try config.resolved(seq: 4096, style: .half)
        XCTAssertEqual(long.factorSet, "long")
        XCTAssertEqual(short.factorSet, "short")
        for i in 0..<48 {
            let pos = pow(10_000.0, Double(2 * i) / 96)
            XCTAssertEqual(long.embedding.invFreq[i], 1 / (factors.long[i] * pos), accuracy: 1e-12 * long.embedding.invFreq[i], "long \(i)")
            XCTAssertEqual(short.embedding.invFreq[i], 1 / (factors.short![i] * pos), accuracy: 1e-12 * short.embedding.invFreq[i], "short \(i)")
        }
        let longLiterals: [Int: Double] = [0: 0.9259258891329368, 1: 0.7436073645320989, 23: 0.0002694678782262614, 47: 1.8684881663397117e-06]
        let shortLiterals: [Int: Double] = [0: 1.0, 1: 0.8092198046104523, 23: 0.006244988898106608, 47: 4.2659433051390916e-05]
        for (i, x) in longLiterals { XCTAssertEqual(long.embedding.invFreq[i], x, accuracy: 1e-12 * x) }
        for (i, x) in shortLiterals { XCTAssertEqual(short.embedding.invFreq[i], x, accuracy: 1e-12 * x) }
        XCTAssertEqual(long.range.oodDims, [], "Phi-3.5's long factors keep every pair in range at 128K")
    }

    /// The README's "128K: PI, NTK, YaRN and Phi-3.5's factors side by side" table (d = 96,
    /// L = 4096, N = L' = 131072): ood_dims and min_period_tokens per scaling.
    func testREADME128KTable() throws {
        func rope(_ kind: RopeScalingKind, factors: LongRoPEFactors? = nil) throws -> ScaledRope {
            var s = RopeScaling(kind: kind, headDim: 96, base: 10_000, original: 4096)
            s.target = 131_072
            s.factors = factors
            return try s.resolved(seq: 131_072, style: .half)
        }
        let theta = (0..<48).map { pow(10_000.0, -Double(2 * $0) / 96) }
        let noFullTurn = theta.filter { 4096 * $0 < 2 * Double.pi }.count
        let standard = try rope(.none).range
        XCTAssertEqual(standard.oodDims.count, noFullTurn)
        XCTAssertEqual(standard.oodDims.count, 14)
        XCTAssertNil(standard.minInterpolatedPeriod)
        let pi = try rope(.pi).range
        XCTAssertEqual(pi.oodDims.count, 0)
        XCTAssertEqual(pi.minInterpolatedPeriod!, 2 * Double.pi * 32, accuracy: 1e-9)
        XCTAssertEqual(2 * Double.pi * 32, 201.06, accuracy: 0.005)
        let ntk = try rope(.ntk).range
        XCTAssertEqual(ntk.oodDims.count, 13)
        // Pair 1 at base' = base·s^(d/(d−2)): period 2π·base'^(2/d).
        XCTAssertEqual(ntk.minInterpolatedPeriod!, 2 * Double.pi * pow(10_000 * pow(32, 96.0 / 94), 2.0 / 96), accuracy: 1e-9)
        XCTAssertEqual(ntk.minInterpolatedPeriod!, 8.19, accuracy: 0.005)
        let yarn = try rope(.yarn)
        XCTAssertEqual(yarn.range.oodDims.count, 0)
        XCTAssertEqual(yarn.range.minInterpolatedPeriod!, 142.64, accuracy: 0.005)
        XCTAssertEqual(yarn.embedding.attentionFactor, 1.346574, accuracy: 5e-7)
        let phi = try FactorFile.load(Self.phi35)
        let long = try rope(.longrope, factors: phi)
        XCTAssertEqual(long.range.oodDims.count, 0)
        XCTAssertEqual(long.range.minInterpolatedPeriod!, 2 * Double.pi * phi.long[0], accuracy: 1e-9, "pair 0 × its factor")
        XCTAssertEqual(long.range.minInterpolatedPeriod!, 6.79, accuracy: 0.005)
    }

    func testYaRNRampFor128DimsAnd4096Tokens() {
        let r = YaRNScaling.ramp(headDim: 128, base: 10_000, original: 4096)
        XCTAssertEqual(r.low, 20)
        XCTAssertEqual(r.high, 46)
        // Unrounded: the pairs completing 32 turns and 1 turn within 4096 tokens.
        XCTAssertEqual(YaRNScaling.correctionDim(rotations: 32, headDim: 128, base: 10_000, original: 4096), 20.94448162063605, accuracy: 1e-9)
        XCTAssertEqual(YaRNScaling.correctionDim(rotations: 1, headDim: 128, base: 10_000, original: 4096), 45.02688127375455, accuracy: 1e-9)
    }

    func testNTKBaseFor128DimsAtScale8() {
        XCTAssertEqual(NTKAwareScaling.scaledBase(base: 10_000, headDim: 128, scale: 8), 82684.6, accuracy: 0.05)
    }

    func testYaRNAttentionFactorAtScale32() {
        XCTAssertEqual(YaRNScaling.attentionFactor(scale: 32), 1.3465736, accuracy: 1e-7)
        XCTAssertEqual(YaRNScaling.attentionFactor(scale: 1), 1)
    }

    /// d = 64, base 10⁴, L = 2048, s = 8 (target 16384).
    func testPINTKAndYaRNInvFreqElementByElement() throws {
        let d = 64, base = 10_000.0, s = 8.0
        func resolved(_ kind: RopeScalingKind) throws -> [Double] {
            var scaling = RopeScaling(kind: kind, headDim: d, base: base, original: 2048)
            scaling.target = 16_384
            return try scaling.resolved(seq: 16_384, style: .half).embedding.invFreq
        }
        let pi = try resolved(.pi), ntk = try resolved(.ntk), yarn = try resolved(.yarn)
        let ntkBase = base * pow(s, Double(d) / Double(d - 2))
        // YaRN's ramp for this shape: ⌊dim(32)⌋ = 8, ⌈dim(1)⌉ = 21.
        let (low, high) = (8.0, 21.0)
        for i in 0..<d / 2 {
            let standard = 1 / pow(base, Double(2 * i) / Double(d))
            XCTAssertEqual(pi[i], standard / s, accuracy: 1e-14 * standard, "pi \(i)")
            XCTAssertEqual(ntk[i], 1 / pow(ntkBase, Double(2 * i) / Double(d)), accuracy: 1e-12 * ntk[i], "ntk \(i)")
            let ramp = min(max((Double(i) - low) / (high - low), 0), 1)
            XCTAssertEqual(yarn[i], standard / s * ramp + standard * (1 - ramp), accuracy: 1e-14 * standard, "yarn \(i)")
        }
        let literals: [(Int, Double, Double, Double)] = [
            (0, 0.125, 1.0, 1.0),
            (5, 0.029642171320770693, 0.1695666048859301, 0.23713737056616555),
            (10, 0.007029266564879363, 0.028752833492541135, 0.04866415314147251),
            (13, 0.002964217132077069, 0.009914820228577686, 0.01573315247025521),
            (20, 0.0003952847075210475, 0.000826725433849795, 0.0006081303192631498),
            (31, 1.666901790204155e-05, 1.6669017902041553e-05, 1.666901790204155e-05),
        ]
        for (i, p, n, y) in literals {
            XCTAssertEqual(pi[i], p, accuracy: 1e-12 * p)
            XCTAssertEqual(ntk[i], n, accuracy: 1e-12 * n)
            XCTAssertEqual(yarn[i], y, accuracy: 1e-12 * y)
        }
    }

    func testDynamicNTKFollowsTheSequenceLength() throws {
        let scaling = RopeScaling(kind: .dynamicNTK, headDim: 64, base: 10_000, original: 1024)
        let standard = RotaryEmbedding.standardInvFreq(headDim: 64, base: 10_000)
        XCTAssertEqual(try scaling.resolved(seq: 1024, style: .half).embedding.invFreq, standard)
        XCTAssertEqual(try scaling.resolved(seq: 4096, style: .half).embedding.invFreq,
                       NTKAwareScaling.invFreq(headDim: 64, base: 10_000, scale: 4))
        XCTAssertEqual(NTKAwareScaling.dynamicScale(seq: 4096, original: 1024, alpha: 2), 7)  // 2·4 − 1
    }

    func testLongRoPEAttentionFactorAndFactorSetSwitchAtTheOriginalLength() throws {
        var scaling = RopeScaling(kind: .longrope, headDim: 8, base: 10_000, original: 100)
        scaling.factors = LongRoPEFactors(long: [1, 2, 3, 4], short: [1, 1, 1.5, 2], source: "test")
        scaling.target = 800
        XCTAssertEqual(try scaling.resolved(seq: 100, style: .half).factorSet, "short")
        XCTAssertEqual(try scaling.resolved(seq: 101, style: .half).factorSet, "long")
        XCTAssertEqual(try scaling.resolved(seq: 101, style: .half).embedding.attentionFactor, (1 + log(8.0) / log(100.0)).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(try scaling.resolved(seq: 101, style: .half).factors, [1, 2, 3, 4].map(Double.init), accuracy: 1e-12)
    }
}

/// Element-wise closeness of two lists.
func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
