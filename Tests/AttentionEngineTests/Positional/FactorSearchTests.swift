import AttentionEngine
import Foundation
import Synchronization
import TestSupport
import XCTest

/// The evolutionary search behaves like LongRoPE's: monotonic factors on a 0.01 grid (or a seed's), seeded from
/// PI/NTK/YaRN, beating all three under the proxy with nothing out of distribution.
final class FactorSearchTests: XCTestCase {
    /// d = 32, trained at 256, searched for 4096 (s = 16) on 1024 tokens of random content.
    func setup() throws -> (SearchSpace, ProxyObjective) {
        let inputs = randomInputs(seq: 1024, heads: 2, dim: 32, seed: 5)
        let space = try SearchSpace(headDim: 32, base: 10_000, original: 256, target: 4096)
        return (space, ProxyObjective(content: inputs, space: space, threads: 2))
    }

    func smallSettings() -> FactorSearchSettings {
        var s = FactorSearchSettings()
        (s.population, s.generations, s.mutations, s.crossovers, s.parents) = (16, 12, 8, 8, 8)
        return s
    }

    final class Recorder: @unchecked Sendable {
        var events: [FactorSearchEvent] = []
    }

    func testSearchBeatsItsSeedsWithNoOutOfDistributionPairs() throws {
        let (space, proxy) = try setup()
        let recorder = Recorder()
        let result = try FactorSearch(space: space, settings: smallSettings()).run(objective: proxy, threads: 2) { recorder.events.append($0) }
        let seedScores = result.seeds.map { $0.score! }
        XCTAssertEqual(result.seeds.map(\.name), ["pi", "ntk", "yarn"])
        XCTAssertLessThan(result.bestScore, seedScores.min()!, "beats PI, NTK and YaRN")
        XCTAssertEqual(space.range(for: result.best).oodDims, [])
        XCTAssertGreaterThan(space.range(for: result.seeds[1].candidate).oodDims.count, 0, "NTK extrapolates its slow pairs")
        XCTAssertTrue(result.best.isMonotonic)
        XCTAssertLessThanOrEqual(result.best.factors[0], 1.1, "fastest pair kept near 1")
        XCTAssertGreaterThanOrEqual(result.best.factors.last!, space.scale, "slowest pair interpolated by at least s")
        XCTAssertTrue(result.best.factors.allSatisfy { $0 >= 1 && $0 <= space.maxFactor })
        // As the README says: each factor is a 0.01 grid value or, inherited whole, a seed's exact one.
        for (i, f) in result.best.factors.enumerated() {
            let onGrid = abs(f * 100 - (f * 100).rounded()) < 1e-9
            XCTAssertTrue(onGrid || result.seeds.contains { $0.candidate.factors[i] == f }, "pair \(i): \(f)")
        }
        // One event per seed, then generations 0 … 12 with a non-increasing best.
        let generations = recorder.events.compactMap { if case .generation(let g) = $0 { return g } else { return nil } }
        XCTAssertEqual(generations.map(\.index), Array(0...12))
        XCTAssertEqual(generations, result.curve)
        for (a, b) in zip(generations, generations.dropFirst()) { XCTAssertLessThanOrEqual(b.best, a.best) }
        XCTAssertTrue(generations.allSatisfy { $0.median >= $0.best })
        XCTAssertEqual(recorder.events.prefix(3).count { if case .seed = $0 { true } else { false } }, 3)
        XCTAssertEqual(result.evaluated, 16 + 12 * 16)
        XCTAssertEqual(result.dropped, 0)
    }

    func testSearchIsReproducibleFromItsSeed() throws {
        let (space, proxy) = try setup()
        var settings = smallSettings()
        settings.generations = 3
        let a = try FactorSearch(space: space, settings: settings).run(objective: proxy, threads: 2)
        let b = try FactorSearch(space: space, settings: settings).run(objective: proxy, threads: 1)
        XCTAssertEqual(a.best, b.best)
        XCTAssertEqual(a.curve, b.curve)
    }

    func testResultJSONIsAFactorsFile() throws {
        let (space, proxy) = try setup()
        var settings = smallSettings()
        settings.generations = 2
        let result = try FactorSearch(space: space, settings: settings).run(objective: proxy, threads: 2)
        let factors = try FactorFile.parse(try result.json(compared: [("phi", 0.5)]), source: "search output")
        XCTAssertEqual(factors.long, result.best.factors)
        XCTAssertEqual(factors.nhat, result.best.nhat)
        XCTAssertNil(factors.short)
        // It records the shape and lengths exactly as an evaluator command receives them.
        let object = try JSONSerialization.jsonObject(with: try result.json()) as! [String: Any]
        let input = try JSONSerialization.jsonObject(with: CommandObjective(command: "true", timeout: 1, space: space).input(for: result.best)) as! [String: Any]
        XCTAssertEqual(Set(input.keys), ["long_factor", "nhat", "attention_factor", "head_dim", "rope_theta",
                                         "original_max_position_embeddings", "max_position_embeddings"])
        for (key, value) in input { XCTAssertEqual(object[key] as? NSObject, value as? NSObject, key) }
    }

    /// Seeds are PI (s everywhere), NTK (s^(2i/(d−2))) and YaRN's ramp, as factors.
    func testSeedsAreThePerPairFactorsOfPINTKAndYaRN() throws {
        let space = try SearchSpace(headDim: 32, base: 10_000, original: 256, target: 4096)
        let seeds = Dictionary(uniqueKeysWithValues: try space.seeds().map { ($0.name, $0.candidate.factors) })
        XCTAssertEqual(seeds["pi"]!, [Double](repeating: 16, count: 16), accuracy: 1e-12)
        XCTAssertEqual(seeds["ntk"]!, (0..<16).map { pow(16.0, Double(2 * $0) / 30) }, accuracy: 1e-9)
        XCTAssertEqual(seeds["yarn"]!.first!, 1)
        XCTAssertEqual(seeds["yarn"]!.last!, 16, accuracy: 1e-12)
        XCTAssertTrue(seeds.values.allSatisfy { FactorCandidate(factors: $0).isMonotonic })
    }

    func testCancellationStopsTheSearch() throws {
        let (space, proxy) = try setup()
        let cancel = CancellationFlag()
        XCTAssertThrowsError(try FactorSearch(space: space, settings: smallSettings()).run(objective: proxy, threads: 2, cancellation: cancel) { e in
            if case .generation(let g) = e, g.index == 1 { cancel.cancel() }
        }) { XCTAssertEqual($0 as? EngineError, .cancelled) }
    }

    /// A scripted objective: fails on some candidates, scores the rest.
    struct Picky: SearchObjective {
        var name: String { "picky" }
        func evaluate(_ c: FactorCandidate, cancellation: CancellationFlag) -> ObjectiveOutcome {
            c.nhat > 0 ? .failed("nhat \(c.nhat) refused") : .score(c.factors.reduce(0) { $0 + abs($1 - 3) })
        }
    }

    func testFailedCandidatesAreReportedAndDropped() throws {
        let space = try SearchSpace(headDim: 16, base: 10_000, original: 100, target: 400)
        let recorder = Recorder()
        let result = try FactorSearch(space: space, settings: smallSettings()).run(objective: Picky(), threads: 2) { recorder.events.append($0) }
        XCTAssertGreaterThan(result.dropped, 0)
        XCTAssertEqual(result.best.nhat, 0)
        let reasons = recorder.events.compactMap { if case .dropped(_, let r) = $0 { return r } else { return nil } }
        XCTAssertEqual(reasons.count, result.dropped)
        XCTAssertTrue(reasons.allSatisfy { $0.hasSuffix("refused") })
    }

    func testCommandObjectiveScoresFailsAndTimesOut() throws {
        let space = try SearchSpace(headDim: 8, base: 10_000, original: 100, target: 400)
        let c = FactorCandidate(factors: [1, 2, 3, 4], nhat: 2)
        func outcome(_ script: String, timeout: Double = 5) -> ObjectiveOutcome {
            CommandObjective(command: script, timeout: timeout, space: space).evaluate(c, cancellation: CancellationFlag())
        }
        // The candidate arrives as compact sorted JSON on stdin.
        XCTAssertEqual(outcome(#"grep -q '"long_factor":\[1,2,3,4\],"max_position_embeddings":400,"nhat":2' && echo ' 2.5 '"#), .score(2.5))
        guard case .failed(let status) = outcome("echo broken >&2; exit 3") else { return XCTFail() }
        XCTAssertEqual(status, "exited with status 3: broken")
        guard case .failed(let text) = outcome("echo ppl=3") else { return XCTFail() }
        XCTAssertTrue(text.contains("'ppl=3', not one finite number"), text)
        guard case .failed(let none) = outcome("true") else { return XCTFail() }
        XCTAssertTrue(none.contains("printed nothing"), none)
        let start = Date()
        guard case .failed(let slow) = outcome("sleep 30; echo 1", timeout: 0.3) else { return XCTFail() }
        XCTAssertTrue(slow.contains("no answer within 0.3 s"), slow)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the hanging script and its sleep were killed")
    }
}
