import Foundation
import TestSupport
import XCTest

/// The shipped `minilm-bert` preset: real Q/K/V of a trained BERT layer
/// (all-MiniLM-L6-v2, layer 2; `presets/data/minilm-layer2/SOURCE.md`).
final class MiniLMPresetTests: XCTestCase {
    /// Per head, the entropy (nats) and mean largest probability over all 512 rows, as the
    /// capture's author computed them separately in float64 and printed them (2 and 3 decimals).
    static let published: [(entropy: Double, maxP: Double)] = [
        (2.66, 0.324), (2.93, 0.321), (4.85, 0.079), (3.16, 0.247), (3.30, 0.287), (4.78, 0.197),
        (5.16, 0.108), (5.13, 0.169), (2.44, 0.365), (4.14, 0.184), (3.49, 0.211), (2.02, 0.476),
    ]

    /// Our float64 reference on real attention agrees with an independent computation to the
    /// printed digits.
    func testStructureMatchesTheCapturesOwnFloat64Statistics() throws {
        let r = try Attnscope.run(["structure", "--preset", "minilm-bert", "--rows", "512", "--from", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let heads = try XCTUnwrap(object["per_head"] as? [[String: Any]])
        XCTAssertEqual(heads.count, 12)
        for (h, expected) in zip(heads, Self.published) {
            let head = h["head"] as? Int ?? -1
            XCTAssertEqual(h["rows"] as? Int, 512)
            XCTAssertEqual(try XCTUnwrap(h["entropy_nats"] as? Double), expected.entropy, accuracy: 0.005, "head \(head)")
            XCTAssertEqual(try XCTUnwrap(h["max_probability"] as? Double), expected.maxP, accuracy: 0.0005, "head \(head)")
        }
    }

    /// The preset as shipped, checked on every row: the exact kernels are exact on real
    /// inputs, the emulated 16- and 8-bit numerics lose what their formats lose (fp8 more
    /// than fp16), and Infini's memory misses mass the segment does not see.
    func testThePresetRunsOnEveryRow() throws {
        let r = try Attnscope.run(["run", "--preset", "minilm-bert", "--repeat", "1", "--warmup", "0", "--json", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        let byLabel = Dictionary(uniqueKeysWithValues: rows.map { ($0["label"] as? String ?? "", $0) })
        XCTAssertEqual(Set(byLabel.keys), ["dense", "flash", "flash-fp16", "flash-fp8", "infini-128"])
        func value(_ label: String, _ key: String) throws -> Double { try XCTUnwrap(byLabel[label]?[key] as? Double, "\(label) \(key)") }
        for row in rows {
            XCTAssertEqual(row["seq"] as? Int, 512)
            XCTAssertEqual(row["heads"] as? Int, 12)
            XCTAssertEqual(row["causal"] as? Bool, false)
            XCTAssertEqual(row["reference_rows"] as? Int, 512)
        }
        for exact in ["dense", "flash"] { XCTAssertLessThanOrEqual(try value(exact, "rel_l2_err"), 1e-5, exact) }
        let fp16 = try value("flash-fp16", "rel_l2_err"), fp8 = try value("flash-fp8", "rel_l2_err")
        XCTAssertGreaterThan(fp16, 10 * (try value("flash", "rel_l2_err")))
        XCTAssertLessThan(fp16, 1e-2)
        XCTAssertGreaterThan(fp8, 10 * fp16)
        XCTAssertLessThan(try value("infini-128", "recall"), 0.9)
        XCTAssertGreaterThan(try value("infini-128", "flops_saved"), 0.5)
    }
}
