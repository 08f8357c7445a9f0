import AttentionEngine
import Foundation
import TestSupport
import XCTest

/// MInference's per-head config format: entries as published (e.g. Llama-3-8B-262K's first
/// layer), read per layer, applied per head, written back; bad files are data errors that
/// name the entry.
final class MInferenceConfigTests: XCTestCase {
    let published = """
        [{"0": ["vertical_and_slash", 1000, 6096, 336], "1": ["stream_llm", 100, 800, 0.96], "2": ["block_sparse", 10, 1, 0.95]},
         {"0": ["vertical_and_slash", 30, 800, 11048], "3": ["vertical_and_slash", 100, 750, 3]}]
        """

    func write(_ text: String) throws -> String {
        let path = try temporaryDirectory() + "/config.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func patterns(_ spec: String, seq: Int = 8000) throws -> [String] {
        let out = try MethodRegistry.make(MethodSpec(parsing: spec))
            .run(randomInputs(seq: seq, heads: 4, kvHeads: 2, dim: 16), context: RunContext(threads: 2))
        guard case .perHead(let p)? = out.extras.first(where: { $0.name == "pattern" })?.value else { return [] }
        return p
    }

    func testPublishedEntriesSetEachHeadsPattern() throws {
        let path = try write(published)
        XCTAssertEqual(try patterns("minference:config=\(path)"),
                       ["vs(1000,6096)", "a-shape(100,800)", "bs(100)", "vs(1000,6096)"],
                       "head 2 is block-sparse with top_k = min(100, 8000/64); head 3 is missing: MInference's default")
        XCTAssertEqual(try patterns("minference:config=\(path),layer=1,top_k=2"),
                       ["vs(30,800)", "vs(1000,6096)", "vs(1000,6096)", "vs(100,750)"])
    }

    /// The column says what ran: MInference clamps v to 30…N, s to 50…N and top_k to ⌈N/64⌉.
    func testPatternsShowTheClampedSizesTheyRan() throws {
        let path = try write(#"[{"0": ["vertical_and_slash", 0, 0, 1], "1": ["block_sparse", 0, 0, 1], "2": ["vertical_and_slash", 40, 6096, 1]}]"#)
        XCTAssertEqual(try patterns("minference:config=\(path),top_k=1000", seq: 300),
                       ["vs(30,50)", "bs(5)", "vs(40,300)", "vs(300,300)"])
        XCTAssertEqual(try patterns("minference:pattern=block-sparse", seq: 300), Array(repeating: "bs(4)", count: 4),
                       "top_k defaults to min(100, 300/64)")
    }

    func testWrittenConfigReadsBack() throws {
        let heads: [(pattern: SparsePattern, score: Double)] = [
            (.verticalSlash(vertical: 500, slash: 1500), 0.0125), (.aShape(sink: 1024, local: 4096), 0.5), (.blockSparse(topK: 100), 0),
        ]
        let text = PatternConfig.encode(layers: [heads])
        let layers = try PatternConfig.parse(Data(text.utf8), source: "test")
        XCTAssertEqual(layers.count, 1)
        XCTAssertEqual(layers[0][0], PatternConfig.Entry(name: .verticalAndSlash, v: 500, s: 1500, score: 0.0125))
        XCTAssertEqual(layers[0][1], PatternConfig.Entry(name: .streamLLM, v: 1024, s: 4096, score: 0.5))
        XCTAssertEqual(layers[0][2], PatternConfig.Entry(name: .blockSparse, v: 100, s: 0, score: 0))
    }

    func testBadFilesAreDataErrorsNamingTheEntry() throws {
        func failure(_ text: String, layer: Int = 0) throws -> EngineError? {
            let path = try write(text)
            do { _ = try PatternConfig.load(path: path, layer: layer) } catch let e as EngineError { return e }
            return nil
        }
        let unknown = try failure(#"[{"0": ["vertical_and_slash", 1000, 6096, 1], "7": ["dilated", 1, 2, 3]}]"#)
        XCTAssertEqual(unknown?.kind, .data)
        XCTAssertTrue(unknown?.message.contains(#"layer 0, head "7": unknown pattern 'dilated'"#) ?? false, unknown?.message ?? "")
        let shape = try failure(#"[{"2": ["vertical_and_slash", 1000]}]"#)
        XCTAssertEqual(shape?.kind, .data)
        XCTAssertTrue(shape?.message.contains(#"head "2""#) ?? false, shape?.message ?? "")
        XCTAssertEqual(try failure(#"[{"0": ["stream_llm", 100, 8.5, 1]}]"#)?.kind, .data)
        XCTAssertEqual(try failure(#"[{"x": ["stream_llm", 100, 800, 1]}]"#)?.kind, .data)
        XCTAssertEqual(try failure(#"{"0": ["stream_llm", 100, 800, 1]}"#)?.kind, .data)
        XCTAssertEqual(try failure("not json")?.kind, .data)
        XCTAssertEqual(try failure(#"[{"0": ["stream_llm", 100, 800, 1]}]"#, layer: 3)?.kind, .usage)
        let empty = try failure("[]")
        XCTAssertEqual(empty?.kind, .data)
        XCTAssertTrue(empty?.message.contains("the list of layers is empty") ?? false, empty?.message ?? "")
        XCTAssertEqual((try? PatternConfig.load(path: "/nonexistent/config.json", layer: 0)) == nil, true)
    }

    func testPatternAndConfigTogetherIsUsageError() throws {
        let path = try write(published)
        XCTAssertThrowsError(try MethodRegistry.make(MethodSpec(parsing: "minference:config=\(path),pattern=auto"))) {
            XCTAssertEqual(($0 as? EngineError)?.kind, .usage)
        }
    }
}
