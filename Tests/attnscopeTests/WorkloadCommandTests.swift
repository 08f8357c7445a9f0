import Foundation
import XCTest

/// `attnscope run --workload llm|needle` end to end: the CLI picks the workloads up from
/// `WorkloadKind`, and they run with their default positional stage (standard RoPE).
final class WorkloadCommandTests: XCTestCase {
    func testLLMAndNeedleWorkloadsRunFromTheCommandLine() throws {
        for workload in ["llm", "needle"] {
            let p = Process()
            p.executableURL = Attnscope.url
            p.arguments = ["run", "--workload", workload, "--seq", "300", "--heads", "2", "--head-dim", "32",
                           "--repeat", "1", "--warmup", "0", "--method", "flash", "--json", "-"]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = Pipe()
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, workload)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let spec = try XCTUnwrap(json["spec"] as? [String: Any])
            XCTAssertEqual(spec["workload"] as? String, workload)
            let row = try XCTUnwrap((json["rows"] as? [[String: Any]])?.first)
            XCTAssertEqual(row["workload"] as? String, workload)
            XCTAssertLessThan(try XCTUnwrap(row["rel_l2_err"] as? Double), 1e-5, "flash stays exact on \(workload)")
        }
    }
}
