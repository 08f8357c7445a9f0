import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// `AttentionStructure` against the figures computed the plain way: probabilities from one
/// softmax per row, entropy as −Σ p ln p, classes from `LLMFeatureKeys`.
final class AttentionStructureTests: XCTestCase {
    /// Row `i` of head `h`: the probabilities of every key it sees, straightforwardly.
    func probabilities(_ inputs: AttentionInputs, head h: Int, row i: Int) -> [Double] {
        let d = inputs.headDim, keys = inputs.causal ? i + 1 : inputs.seq
        let q = inputs.q.row(head: h, i).map(Double.init)
        let s = (0..<keys).map { j in
            zip(q, inputs.k.row(head: h / inputs.groupSize, j)).reduce(0) { $0 + $1.0 * Double($1.1) } / Double(d).squareRoot()
        }
        let e = s.map { exp($0 - s.max()!) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }

    func testRowFiguresMatchAPlainSoftmax() throws {
        for causal in [true, false] {
            let inputs = randomInputs(seq: 301, heads: 4, kvHeads: 2, dim: 24, causal: causal, seed: 7)
            let rows = AttentionStructure.sampledRows(seq: 301, first: 10, count: 5)
            let measured = try AttentionStructure(inputs, rows: rows, features: nil, threads: 2)
            for h in 0..<4 {
                var entropy = 0.0, share = 0.0, top = 0.0, keys90 = 0.0
                for i in rows {
                    let p = probabilities(inputs, head: h, row: i)
                    let hRow = -p.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
                    entropy += hRow / 5
                    share += hRow / log(Double(p.count)) / 5
                    top += p.max()! / 5
                    var held = 0.0, n = 0
                    for x in p.sorted(by: >) where held < 0.9 { held += x; n += 1 }
                    keys90 += Double(n) / 5
                }
                let got = measured.perHead[h]
                XCTAssertEqual(got.rows, 5)
                XCTAssertEqual(got.entropy, entropy, accuracy: 1e-9, "head \(h), causal \(causal)")
                XCTAssertEqual(got.entropyShare, share, accuracy: 1e-9)
                XCTAssertEqual(got.maxProbability, top, accuracy: 1e-12)
                XCTAssertEqual(got.keysFor90, keys90, accuracy: 1e-12)
                XCTAssertNil(got.mass(.sink), "no classes without feature keys")
            }
            XCTAssertEqual(measured.pooled.rows, 20)
            XCTAssertEqual(measured.pooled.entropy, measured.perHead.reduce(0) { $0 + $1.entropy } / 4, accuracy: 1e-12)
        }
    }

    func testClassMassesAndLiftsFollowTheirDefinitions() throws {
        var spec = StructureFixture.spec(workload: .llm, seq: 900)
        (spec.heads, spec.kvHeads) = (4, 2)
        let inputs = try InputPreparation.prepare(spec)
        let shape = AttentionShape(seq: 900, heads: 4, kvHeads: 2, headDim: spec.headDim)
        let features = LLMFeatureKeys(workload: LLMWorkload(rope: spec.ropeSettings), shape: shape, seed: spec.seed)
        let row = 850
        let measured = try AttentionStructure(inputs, rows: [row], features: features, threads: 2)
        for h in 0..<4 {
            let p = probabilities(inputs, head: h, row: row)
            let classes = features.classes(head: h, row: row, keys: p.count)
            XCTAssertEqual(classes.prefix(features.sinkCount), ArraySlice(repeating: .sink, count: features.sinkCount))
            XCTAssertEqual(classes.suffix(LLMFeatureKeys.window), ArraySlice(repeating: .window, count: LLMFeatureKeys.window))
            func keys(_ c: LLMFeatureKeys.KeyClass) -> [Int] { p.indices.filter { classes[$0] == c } }
            func mass(_ c: LLMFeatureKeys.KeyClass) -> Double { keys(c).reduce(0) { $0 + p[$1] } }
            let got = measured.perHead[h]
            XCTAssertEqual(LLMFeatureKeys.KeyClass.allCases.reduce(0) { $0 + got.mass($1)! }, 1, accuracy: 1e-9)
            for c in LLMFeatureKeys.KeyClass.allCases { XCTAssertEqual(got.mass(c)!, mass(c), accuracy: 1e-12, "\(c) of head \(h)") }
            let uniform = 1 / Double(p.count)
            XCTAssertEqual(got.lift(.sink)!, mass(.sink) / Double(features.sinkCount) / uniform, accuracy: 1e-9)
            XCTAssertEqual(got.lift(.window)!, mass(.window) / Double(LLMFeatureKeys.window) / uniform, accuracy: 1e-9)
            let perOrdinary = mass(.ordinary) / Double(keys(.ordinary).count)
            for c in [LLMFeatureKeys.KeyClass.stripe, .slash, .topic] {
                if keys(c).isEmpty { XCTAssertNil(got.lift(c)); continue }
                XCTAssertEqual(got.lift(c)!, mass(c) / Double(keys(c).count) / perOrdinary, accuracy: 1e-9 * got.lift(c)!)
            }
            XCTAssertNil(got.lift(.ordinary))
        }
        XCTAssertTrue(features.plans.contains { $0.kind == .topic } == (measured.pooled.lift(.topic) != nil))
    }

    /// The needle class holds exactly the planted key's probability, lifted against the uniform share.
    func testNeedleClassIsThePlantedKey() throws {
        var spec = StructureFixture.spec(workload: .needle, seq: 700)
        (spec.heads, spec.kvHeads) = (2, 1)
        let inputs = try InputPreparation.prepare(spec)
        let needle = try XCTUnwrap(inputs.annotations.needlePosition)
        let shape = AttentionShape(seq: 700, heads: 2, kvHeads: 1, headDim: spec.headDim)
        let features = LLMFeatureKeys(workload: LLMWorkload(rope: spec.ropeSettings), shape: shape, seed: spec.seed, needle: needle)
        let measured = try AttentionStructure(inputs, rows: [699], features: features, threads: 2)
        for h in 0..<2 {
            let p = probabilities(inputs, head: h, row: 699)
            let classes = features.classes(head: h, row: 699, keys: 700)
            XCTAssertEqual(classes.indices.filter { classes[$0] == .needle }, [needle])
            XCTAssertEqual(measured.perHead[h].mass(.needle)!, p[needle], accuracy: 1e-12)
            XCTAssertEqual(measured.perHead[h].lift(.needle)!, p[needle] * 700, accuracy: 1e-9)
        }
        XCTAssertGreaterThan(measured.pooled.mass(.needle)!, 0.5, "the last query finds the needle")
    }

    func testSampledRowsAreEvenlySpacedAndEndAtTheLastRow() {
        XCTAssertEqual(AttentionStructure.sampledRows(seq: 100, first: 20, count: 5), [20, 40, 60, 79, 99])
        XCTAssertEqual(AttentionStructure.sampledRows(seq: 100, first: 500, count: 5), [99])
        XCTAssertEqual(AttentionStructure.sampledRows(seq: 4, first: 0, count: 16), [0, 1, 2, 3])
        XCTAssertEqual(AttentionStructure.sampledRows(seq: 1, first: 0, count: 3), [0])
        XCTAssertEqual(AttentionStructure.sampledRows(seq: 50, first: 3, count: 1), [3], "--rows 1 --from 3 measures row 3")
    }
}
