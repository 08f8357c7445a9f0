import Foundation
import TestSupport
import XCTest

/// `attnscope run --export-config FILE` writes the patterns `minference:pattern=auto` found in
/// MInference's format, and `config=FILE` runs them back; misuse exits 64, bad files 65.
final class ExportConfigTests: XCTestCase {
    /// Runs in a fresh directory of its own, so a stray relative output never lands in the checkout.
    func attnscope(_ args: [String], in directory: String? = nil) throws -> Attnscope.Result {
        try Attnscope.run(args, directory: directory ?? temporaryDirectory())
    }

    let shape = ["run", "--seq", "400", "--heads", "3", "--kv-heads", "1", "--head-dim", "32", "--repeat", "1", "--warmup", "0", "--threads", "2"]

    func row(inJSON text: String, label: String) throws -> [String: Any] {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(json["rows"] as? [[String: Any]])
        return try XCTUnwrap(rows.first { $0["label"] as? String == label })
    }

    func patterns(inJSON text: String, label: String) throws -> [String] {
        try XCTUnwrap(row(inJSON: text, label: label)["pattern"] as? [String])
    }

    func testSearchedPatternsRoundTrip() throws {
        let dir = try temporaryDirectory()
        let config = dir + "/patterns.json"
        let searched = try attnscope(shape + ["--method", "minference:pattern=auto,block=16,label=auto", "--export-config", config, "--json", "-"])
        XCTAssertEqual(searched.status, 0, searched.stderr)
        let found = try patterns(inJSON: searched.stdout, label: "auto")
        XCTAssertEqual(found.count, 3)

        let layers = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as? [[String: [Any]]])
        XCTAssertEqual(layers.count, 1)
        XCTAssertEqual(Set(layers[0].keys), ["0", "1", "2"])
        // Each head's score is its search error, as a number at full precision in both files.
        let errors = try XCTUnwrap(row(inJSON: searched.stdout, label: "auto")["search_err"] as? [Double])
        XCTAssertEqual(errors.count, 3)
        for h in 0..<3 { XCTAssertEqual(layers[0][String(h)]?[3] as? Double, errors[h], "head \(h)") }
        for entry in layers[0].values {
            XCTAssertEqual(entry.count, 4)
            XCTAssertTrue(["vertical_and_slash", "stream_llm", "block_sparse"].contains(entry[0] as? String ?? ""), "\(entry)")
        }

        let replay = try attnscope(shape + ["--method", "minference:config=\(config),block=16,label=replay", "--json", "-"])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(try patterns(inJSON: replay.stdout, label: "replay"), found)
    }

    func testExportToStdoutPrintsOnlyTheConfig() throws {
        let dir = try temporaryDirectory()
        let r = try attnscope(shape + ["--method", "minference:pattern=auto,block=16", "--export-config", "-"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let layers = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: [Any]]], r.stdout)
        XCTAssertEqual(Set(layers.first?.keys.map { $0 } ?? []), ["0", "1", "2"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/-"), "no file named -")
        let both = try attnscope(shape + ["--method", "minference:pattern=auto", "--export-config", "-", "--json", "-"])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("--json and --export-config both write to stdout"), both.stderr)
    }

    func testExportWithoutSearchIsUsageError() throws {
        let r = try attnscope(shape + ["--method", "minference", "--export-config", try temporaryDirectory() + "/x.json"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--export-config"), r.stderr)
    }

    func testUnknownPatternInConfigExits65NamingTheEntry() throws {
        let path = try temporaryDirectory() + "/bad.json"
        try #"[{"0": ["vertical_and_slash", 1000, 6096, 1], "1": ["tri_shape", 64, 4096, 0]}]"#.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try attnscope(shape + ["--method", "minference:config=\(path)"])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains(#"head "1": unknown pattern 'tri_shape'"#), r.stderr)
    }
}
