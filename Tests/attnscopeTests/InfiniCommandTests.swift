import Foundation
import TestSupport
import XCTest

/// `attnscope run --method infini...` end to end: bad keys, the streamed run's columns and
/// maps, and `--save-outputs` refused in a streamed run.
final class InfiniCommandTests: XCTestCase {
    let small = ["run", "--seq", "300", "--heads", "2", "--head-dim", "16", "--repeat", "1", "--warmup", "0"]

    func testBadKeysExitWith64NamingTheKey() throws {
        for (spec, key) in [("infini:segment=0", "segment=0"), ("infini:update=hebbian", "update=hebbian"),
                            ("infini:gate=nan", "gate=nan"), ("infini:gate=inf", "gate=inf")] {
            let r = try Attnscope.run(small + ["--method", spec])
            XCTAssertEqual(r.status, 64, "\(spec): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("'\(key)'"), "\(spec): \(r.stderr)")
        }
    }

    func testStreamedRunWritesSegmentErrorsAndBothMaps() throws {
        let dir = try temporaryDirectory()
        let r = try Attnscope.run(small + ["--method", "infini:segment=64,label=inf", "--method", "flash",
                                           "--json", dir + "/rows.json", "--save-maps", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/rows.json"))) as? [String: Any]
        let rows = try XCTUnwrap(object?["rows"] as? [[String: Any]])
        // Numbers (null where no reference row falls in a segment), not strings.
        let bands = try XCTUnwrap(rows[0]["segment_rmse"] as? [Any])
        XCTAssertEqual(bands.count, 5)
        XCTAssertTrue(bands.allSatisfy { ($0 as? Double) != nil || $0 is NSNull }, "\(bands)")
        XCTAssertFalse(bands.contains { $0 is String }, "\(bands)")
        XCTAssertEqual(rows[0]["memory_bytes"] as? Int, 2 * 16 * 17 * 4)
        XCTAssertEqual(rows[1]["rows_computed"] as? Double, 300, "N ≤ 4096: every row is a reference row")
        for file in ["inf.coverage.npy", "inf.approximate.npy"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + file), file)
        }
    }

    func testSaveOutputsIsRefusedBeforeAStreamedRun() throws {
        let dir = try temporaryDirectory()
        let r = try Attnscope.run(small + ["--method", "infini", "--save-outputs", dir + "/out"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--save-outputs") && r.stderr.contains("streams"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out"))
    }
}
