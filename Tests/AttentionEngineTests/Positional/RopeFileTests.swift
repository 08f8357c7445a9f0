import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// Factor files and model configs: what they accept, and errors (exit 65) that name the field.
final class RopeFileTests: XCTestCase {
    func factors(_ json: String) throws -> LongRoPEFactors { try FactorFile.parse(Data(json.utf8), source: "factors f.json") }

    func testAcceptsAListOrAnObjectWithLongAndShortFactors() throws {
        let list = try factors("[1, 1.5, 2, 2]")
        XCTAssertEqual(list.long, [1, 1.5, 2, 2])
        XCTAssertEqual(list.factors(seq: 10, original: 100).values, list.long, "a plain list applies at every length")
        let object = try factors(#"{"long_factor": [1, 2, 3, 4], "nhat": 4, "score": 0.3}"#)
        XCTAssertEqual(object.factors(seq: 10, original: 100).values, [1, 1, 1, 1], "no short_factor: standard RoPE up to L")
        XCTAssertEqual(object.factors(seq: 101, original: 100).values, [1, 2, 3, 4])
        XCTAssertEqual(object.nhat, 4)
        XCTAssertEqual(object.warnings, [])
        // Read correctly rounded, so a searched file replays the factors it was scored with
        // (Linux Foundation's JSONSerialization reads these two an ulp off).
        let exact = [1.3658536585365855, 1.6716417910447763, 0.1, 1.0800000429153442]
        XCTAssertEqual(try factors("[\(exact.map { "\($0)" }.joined(separator: ", "))]").long, exact)
    }

    /// A file that states the lengths its factors are for (Phi-3.5's, `rope search`'s) fixes
    /// s = L'/L and so the attention factor, whatever N is; keys given still win.
    func testStatedLengthsAndAttentionFactorAreTheDefaults() throws {
        let text = #"{"long_factor": [1, 2], "original_max_position_embeddings": 100, "max_position_embeddings": 800}"#
        let path = try temporaryFile("f.json", text)
        func scaling(_ request: RopeScalingRequest) throws -> ScaledRope {
            try request.scaling(headDim: 4, base: 10_000).resolved(seq: 200, style: .half)
        }
        let stated = try scaling(RopeScalingRequest(factorsFile: path))
        XCTAssertEqual(stated.scale, 8)
        XCTAssertEqual(stated.embedding.attentionFactor, (1 + log(8.0) / log(100.0)).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(try scaling(RopeScalingRequest(target: 1600, factorsFile: path)).scale, 16)
        XCTAssertEqual(try scaling(RopeScalingRequest(original: 200, factorsFile: path)).scale, 4)
        for request in [try RopeScalingRequest(original: 1000, factorsFile: path), try RopeScalingRequest(target: 50, factorsFile: path)] {
            XCTAssertThrowsError(try scaling(request)) {
                XCTAssertTrue(($0 as? EngineError)?.message.contains("is below original") == true, "\($0)")
            }
        }
        let withFactor = try temporaryFile("g.json", #"{"long_factor": [1, 2], "attention_factor": 1.5}"#)
        XCTAssertEqual(try scaling(RopeScalingRequest(factorsFile: withFactor)).embedding.attentionFactor, 1.5)
        XCTAssertEqual(try scaling(RopeScalingRequest(factorsFile: withFactor, attentionFactor: 1.25)).embedding.attentionFactor, 1.25)
    }

    func testBadFactorFilesNameTheField() throws {
        assertDataError(try factors(#"{"long_factor": [1, "two", 3]}"#), naming: ["f.json", "long_factor[1]", "not a number"])
        assertDataError(try factors("[1, 2, -0.5]"), naming: ["(top level)[2]", "-0.5", "positive"])
        assertDataError(try factors(#"{"long_factor": [1, 2], "short_factor": [1, 0]}"#), naming: ["short_factor[1]", "positive"])
        assertDataError(try factors(#"{"short_factor": [1, 2]}"#), naming: ["'long_factor' is missing"])
        assertDataError(try factors(#"{"long_factor": [1, 2, 3]"#), naming: ["not valid JSON"])
        assertDataError(try factors(#"{"long_factor": [1, 2], "nhat": 1.5}"#), naming: ["'nhat'"])
        assertDataError(try factors(#""2.0""#), naming: ["expected a JSON list"])
        assertDataError(try factors(#"{"long_factor": [1, 2], "original_max_position_embeddings": 800, "max_position_embeddings": 100}"#),
                        naming: ["'max_position_embeddings' = 100 is below original_max_position_embeddings = 800"])
        assertDataError(try factors(#"{"long_factor": [1, 2], "original_max_position_embeddings": 4096.5}"#),
                        naming: ["'original_max_position_embeddings'", "whole number"])
        assertDataError(try factors(#"{"long_factor": [1, 2], "attention_factor": 0}"#), naming: ["'attention_factor' = 0.0 must be positive"])
        assertDataError(try factors(#"[true, 1]"#), naming: ["(top level)[0]", "not a number"])
        let wrongLength = try factors(#"{"long_factor": [1, 2, 3], "short_factor": [1, 1, 1]}"#)
        assertDataError(try wrongLength.check(headDim: 8), naming: ["'long_factor' has 3 entries", "head dim 8 needs 4"])
        // Lists of two lengths are reported as such, whichever the head dim matches.
        let mismatched = try factors(#"{"long_factor": [1, 2, 3], "short_factor": [1, 1, 1, 1]}"#)
        for d in [6, 8] {
            assertDataError(try mismatched.check(headDim: d),
                            naming: ["fields 'long_factor' (3 entries) and 'short_factor' (4 entries) differ in length"], startingWith: "factors f.json: ")
        }
        assertDataError(try FactorFile.load("/nonexistent/f.json"), naming: ["factors /nonexistent/f.json", "no such file"])
    }

    /// `search=on` with `config=` finds long factors for the target; up to the original
    /// length the model's own short factors still apply.
    func testASearchKeepsTheConfigsShortFactors() throws {
        let request = try RopeScalingRequest(configFile: try RopeCheckValueTests.phi35Config(), search: true)
        let space = try SearchSpace(request: request, headDim: 96, base: 10_000, style: .half, seq: 8192)
        let found = FactorCandidate(factors: Array(repeating: 2, count: 48), nhat: 4)
        let scaling = request.scaling(searched: found, in: space)
        XCTAssertEqual(scaling.factors?.long, found.factors)
        XCTAssertEqual(scaling.factors?.short, try FactorFile.load(RopeCheckValueTests.phi35).short)
        XCTAssertEqual([scaling.original, scaling.target, scaling.nhat], [4096, 131_072, 4])
    }

    func testDecreasingFactorsAreOnlyAWarning() throws {
        let f = try factors(#"{"long_factor": [1, 3, 2, 4], "short_factor": [1, 1, 1, 1]}"#)
        XCTAssertEqual(f.long, [1, 3, 2, 4])
        XCTAssertEqual(f.warnings.count, 1)
        XCTAssertTrue(f.warnings[0].contains("'long_factor' decreases at index 2"), f.warnings[0])
    }

    func config(_ object: [String: Any]) throws -> RopeScaling {
        try ModelRopeConfig.parse(JSONSerialization.data(withJSONObject: object), source: "config c.json")
    }

    func testReadsYaRNLinearDynamicAndDefaultConfigs() throws {
        let yarn = try config(["head_dim": 128, "rope_theta": 1e6, "max_position_embeddings": 131_072,
                               "rope_scaling": ["rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32_768, "beta_fast": 16]])
        XCTAssertEqual(yarn.kind, .yarn)
        XCTAssertEqual(yarn.original, 32_768)
        XCTAssertEqual(yarn.target, 131_072)
        XCTAssertEqual(yarn.scale, 4)
        XCTAssertEqual(yarn.base, 1e6)
        XCTAssertEqual(yarn.yarn.betaFast, 16)
        XCTAssertEqual(try yarn.resolved(seq: 1000, style: .half).embedding.attentionFactor, 0.1 * log(4.0) + 1, accuracy: 1e-15)
        let linear = try config(["hidden_size": 4096, "num_attention_heads": 32, "max_position_embeddings": 4096,
                                 "rope_scaling": ["type": "linear", "factor": 2.0]])
        XCTAssertEqual(linear.kind, .pi)
        XCTAssertEqual(linear.headDim, 128)
        XCTAssertEqual(linear.target, 8192)
        let dynamic = try config(["head_dim": 64, "max_position_embeddings": 2048, "rope_scaling": ["type": "dynamic", "factor": 2.0]])
        XCTAssertEqual(dynamic.kind, .dynamicNTK)
        XCTAssertEqual(dynamic.dynamicAlpha, 2)
        let plain = try config(["head_dim": 64, "max_position_embeddings": 2048, "rope_scaling": NSNull()])
        XCTAssertEqual(plain.kind, .none)
    }

    func testBadConfigsNameTheField() throws {
        let base: [String: Any] = ["head_dim": 8, "max_position_embeddings": 4096]
        func with(_ scaling: Any, _ extra: [String: Any] = [:]) -> [String: Any] {
            base.merging(extra) { $1 }.merging(["rope_scaling": scaling]) { $1 }
        }
        assertDataError(try config(with(["type": "llama3", "factor": 8.0])), naming: ["c.json", "rope_scaling.type", "llama3", "longrope, su, yarn"])
        assertDataError(try config(with(["rope_type": "mystery"])), naming: ["rope_scaling.rope_type", "mystery"])
        assertDataError(try config(with(["factor": 2.0])), naming: ["rope_scaling.type' is missing"])
        assertDataError(try config(with(["type": "longrope", "short_factor": [1, 1, 1, 1]])), naming: ["rope_scaling.long_factor' is missing"])
        assertDataError(try config(with(["type": "su", "long_factor": [1, 2, 3], "short_factor": [1, 1, 1]])),
                        naming: ["rope_scaling.long_factor' has 3 entries", "head dim 8 needs 4"])
        assertDataError(try config(with(["type": "longrope", "long_factor": [1, 2, "x", 4], "short_factor": [1, 1, 1, 1]])),
                        naming: ["rope_scaling.long_factor[2]"])
        assertDataError(try config(with(["type": "yarn"])), naming: ["rope_scaling.factor' is missing"])
        assertDataError(try config(with(["type": "linear", "factor": 2.0], ["partial_rotary_factor": 0.5])), naming: ["partial_rotary_factor"])
        assertDataError(try config(["rope_scaling": ["type": "linear", "factor": 2.0], "max_position_embeddings": 10]), naming: ["head_dim"])
        assertDataError(try config(with(["type": "linear", "factor": 2.0], ["hidden_size": 100, "num_attention_heads": 3, "head_dim": NSNull()])),
                        naming: ["hidden_size"])
        assertDataError(try ModelRopeConfig.parse(Data("[1]".utf8), source: "config c.json"), naming: ["expected a JSON object"])
    }

    /// YaRN's betas are numbers of turns (a ramp end is ln(L / (2π·β))) and beta_fast is the
    /// larger; mscale over mscale_all_dim must give a usable attention factor. Anything else
    /// would make every output NaN, so it is refused naming the field.
    func testYaRNSettingsWithoutAValueAreRefused() throws {
        func yarn(_ extra: [String: Any]) throws -> RopeScaling {
            try config(["head_dim": 64, "max_position_embeddings": 16384,
                        "rope_scaling": ["type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096].merging(extra) { $1 }])
        }
        assertDataError(try yarn(["beta_fast": -5]), naming: ["c.json", "'rope_scaling.beta_fast' = -5.0 must be positive"])
        assertDataError(try yarn(["beta_slow": 0]), naming: ["'rope_scaling.beta_slow' = 0.0 must be positive"])
        assertDataError(try yarn(["beta_fast": 1, "beta_slow": 32]),
                        naming: ["'rope_scaling.beta_fast' = 1.0 is below rope_scaling.beta_slow = 32.0", "beta_fast must be the larger"])
        assertDataError(try yarn(["mscale": 1, "mscale_all_dim": -10]),
                        naming: ["'rope_scaling.mscale' = 1.0 with rope_scaling.mscale_all_dim", "must be finite and positive"])
        // A stated attention factor replaces the mscale quotient, so the quotient does not matter.
        XCTAssertEqual(try yarn(["mscale": 1, "mscale_all_dim": -10, "attention_factor": 1.2]).attentionFactor, 1.2)
        let equal = try yarn(["beta_fast": 4, "beta_slow": 4]).resolved(seq: 16384, style: .half)
        XCTAssertTrue(equal.embedding.invFreq.allSatisfy(\.isFinite), "equal betas: a step, as in transformers")
    }

    /// Settings valid one by one can overflow together; the error names where they came from:
    /// keys (exit 64), a config or a factors file (exit 65).
    func testScalingsThatOverflowAreRefusedNamingTheirSource() throws {
        var ntk = RopeScaling(kind: .ntk, headDim: 8, base: 1e308, original: 100)
        ntk.target = 800
        XCTAssertThrowsError(try ntk.resolved(seq: 800, style: .half)) { error in
            XCTAssertEqual((error as? EngineError)?.kind, .usage, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("scaling=ntk: ntk at base 1e+308") && "\(error)".contains("pair 1's inverse frequency 0.0"), "\(error)")
        }
        let dynamic = try config(["head_dim": 8, "rope_theta": 1e308, "max_position_embeddings": 100, "rope_scaling": ["type": "dynamic", "factor": 2.0]])
        assertDataError(try dynamic.resolved(seq: 800, style: .half), naming: ["dynamic-ntk", "pair 1's inverse frequency 0.0"], startingWith: "config c.json: ")
        XCTAssertNoThrow(try dynamic.resolved(seq: 100, style: .half), "standard RoPE up to L")
        var longrope = RopeScaling(kind: .longrope, headDim: 4, base: 10_000, original: 1)
        longrope.factors = LongRoPEFactors(long: [1, 1], source: "factors f.json")
        assertDataError(try longrope.resolved(seq: 8, style: .half), naming: ["the attention factor is inf", "original length 1"],
                        startingWith: "factors f.json: ")
    }

    func testConfigHeadDimMustMatchTheInputs() throws {
        let path = try temporaryFile("config.json", #"{"head_dim": 8, "max_position_embeddings": 64, "rope_scaling": {"type": "linear", "factor": 2.0}}"#)
        let request = try RopeScalingRequest(configFile: path)
        assertDataError(try request.scaling(headDim: 16, base: 10_000), naming: ["head dim 8", "inputs' head dim 16"])
        XCTAssertEqual(try request.scaling(headDim: 8, base: 10_000).kind, .pi)
        // The factor search reads the same config and refuses the same mismatch.
        assertDataError(try SearchSpace(request: request, headDim: 16, base: 10_000, style: .half, seq: 64),
                        naming: ["head dim 8", "inputs' head dim 16"])
        XCTAssertEqual(try SearchSpace(request: request, headDim: 8, base: 10_000, style: .half, seq: 64).target, 128, "the config's L·s")
    }
}
