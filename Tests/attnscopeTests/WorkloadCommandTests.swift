import Foundation
import XCTest

/// `attnscope run --workload llm|needle` end to end: the CLI picks the workloads up from
/// `WorkloadKind`, and they run with their default positional stage (standard RoPE).
final class WorkloadCommandTests: XCTestCase {
    func testLLMAndNeedleWorkloadsRunFromTheCommandLine() throws {
        for workload in ["llm", "needle"] {
            let r = try Attnscope.run(["run", "--workload", workload, "--seq", "300", "--heads", "2", "--head-dim", "32",
                                       "--repeat", "1", "--warmup", "0", "--method", "flash", "--json", "-"])
            XCTAssertEqual(r.status, 0, "\(workload): \(r.stderr)")
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let spec = try XCTUnwrap(json["spec"] as? [String: Any])
            XCTAssertEqual(spec["workload"] as? String, workload)
            let row = try XCTUnwrap((json["rows"] as? [[String: Any]])?.first)
            XCTAssertEqual(row["workload"] as? String, workload)
            XCTAssertLessThan(try XCTUnwrap(row["rel_l2_err"] as? Double), 1e-5, "flash stays exact on \(workload)")
        }
    }
}
