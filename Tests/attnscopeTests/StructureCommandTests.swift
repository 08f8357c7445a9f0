import Foundation
import TestSupport
import XCTest

/// `attnscope structure` end to end: the JSON it writes for generated inputs (feature
/// classes) and for files (no classes), and its setup line.
final class StructureCommandTests: XCTestCase {
    func structure(_ args: [String]) throws -> [String: Any] {
        let r = try Attnscope.run(["structure", "--json"] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func testLLMShowsItsFeaturesAndRandomDoesNot() throws {
        let shape = ["--seq", "2048", "--heads", "4", "--kv-heads", "2", "--head-dim", "32", "--rows", "8"]
        let llm = try structure(shape + ["--workload", "llm"])
        XCTAssertEqual(llm["rows"] as? [Int], [128, 402, 676, 950, 1225, 1499, 1773, 2047], "8 rows from N/16 to N − 1")
        let setup = try XCTUnwrap(llm["setup"] as? [String: Any])
        XCTAssertEqual(setup["workload"] as? String, "llm")
        XCTAssertEqual(setup["seq"] as? Int, 2048)
        XCTAssertNotNil(setup["inputs_ms"] as? Double)
        let heads = try XCTUnwrap(llm["per_head"] as? [[String: Any]])
        XCTAssertEqual(heads.map { $0["head"] as? Int }, [0, 1, 2, 3])
        for h in heads { XCTAssertNotNil(h["kind"] as? String) }
        let pooled = try XCTUnwrap(llm["pooled"] as? [String: Any])
        let mass = try XCTUnwrap(pooled["mass"] as? [String: Double])
        XCTAssertEqual(Set(mass.keys), ["sink", "window", "stripe", "slash", "topic", "ordinary"])
        XCTAssertEqual(mass.values.reduce(0, +), 1, accuracy: 1e-9)
        let lift = try XCTUnwrap(pooled["lift"] as? [String: Any])
        XCTAssertTrue(lift["ordinary"] is NSNull)
        XCTAssertGreaterThan(try XCTUnwrap(lift["sink"] as? Double), 5)
        XCTAssertGreaterThan(try XCTUnwrap(lift["stripe"] as? Double), 5)

        let random = try structure(shape + ["--workload", "random"])
        let randomPooled = try XCTUnwrap(random["pooled"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap((randomPooled["lift"] as? [String: Any])?["stripe"] as? Double), 2)
        XCTAssertGreaterThan(try XCTUnwrap(randomPooled["entropy_share"] as? Double), 0.9)
        XCTAssertLessThan(try XCTUnwrap(pooled["entropy_share"] as? Double), 0.6)
    }

    func testNeedleColumnAppearsOnlyWithANeedle() throws {
        let json = try structure(["--workload", "needle", "--seq", "1024", "--heads", "2", "--head-dim", "32", "--from", "960", "--rows", "64"])
        XCTAssertEqual((json["rows"] as? [Int])?.count, 64)
        let mass = try XCTUnwrap((json["pooled"] as? [String: Any])?["mass"] as? [String: Double])
        XCTAssertGreaterThan(try XCTUnwrap(mass["needle"]), 0.5, "the last 64 queries look for the needle")
        let text = try Attnscope.run(["structure", "--workload", "needle", "--seq", "1024", "--heads", "2", "--head-dim", "32"])
        XCTAssertTrue(text.stdout.contains("needle"), text.stdout)
        let llm = try Attnscope.run(["structure", "--workload", "llm", "--seq", "1024", "--heads", "2", "--head-dim", "32"])
        XCTAssertFalse(llm.stdout.contains("needle"), llm.stdout)
    }

    func testFilesGetConcentrationFiguresWithoutFeatureClasses() throws {
        let dir = try temporaryDirectory()
        for name in ["q", "k", "v"] { try HeadTensorFixture.tensor(heads: 2, seq: 50, dim: 8).write(dir + "/\(name).npy") }
        let json = try structure(["--inputs", dir, "--no-causal", "--rows", "3", "--from", "10"])
        XCTAssertEqual(json["rows"] as? [Int], [10, 30, 49])
        let setup = try XCTUnwrap(json["setup"] as? [String: Any])
        XCTAssertEqual(setup["inputs"] as? String, dir)
        XCTAssertEqual(setup["causal"] as? Bool, false)
        let pooled = try XCTUnwrap(json["pooled"] as? [String: Any])
        XCTAssertNil(pooled["mass"], "files have no generator features")
        let share = try XCTUnwrap(pooled["entropy_share"] as? Double)
        XCTAssertTrue(share > 0 && share <= 1, "\(share)")
        let keys = try XCTUnwrap(pooled["keys_for_90"] as? Double)
        XCTAssertTrue(keys >= 1 && keys <= 50, "\(keys)")

        let text = try Attnscope.run(["structure", "--inputs", dir, "--rows", "3"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("N=50 H=2 G=2 d=8 causal inputs=\(dir)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("keys for 90%") && !text.stdout.contains("window"), text.stdout)
    }
}
