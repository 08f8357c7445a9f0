import AttentionEngine
import TestSupport
import XCTest

/// Misuse of the `minference` keys is a usage error naming the key, never silently ignored.
final class MInferenceParametersTests: XCTestCase {
    func assertUsageError(_ spec: String, mentions needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try MethodRegistry.make(MethodSpec(parsing: spec)), spec, file: file, line: line) { error in
            XCTAssertEqual((error as? EngineError)?.kind, .usage, file: file, line: line)
            XCTAssertTrue((error as? EngineError)?.message.contains(needle) ?? false, "\(error)", file: file, line: line)
        }
    }

    func testKeysThePatternNeverReadsAreRefused() {
        assertUsageError("minference:pattern=a-shape,vertical=10", mentions: "'vertical'")
        assertUsageError("minference:pattern=vertical-slash,top_k=3", mentions: "'top_k'")
        assertUsageError("minference:slash=100,sink=4", mentions: "'sink'")
        assertUsageError("minference:pattern=block-sparse,last_q=32", mentions: "'last_q'")
        assertUsageError("minference:pattern=auto,local=100", mentions: "'local'")
        assertUsageError("minference:layer=1", mentions: "'layer'")
        assertUsageError("minference:pattern=sparse", mentions: "pattern=sparse")
        assertUsageError("minference:block=8", mentions: "block=8")
        assertUsageError("minference:vertical=x", mentions: "vertical=x")
    }

    func testNonCausalIsRefused() throws {
        let method = try MethodRegistry.make(MethodSpec(parsing: "minference"))
        XCTAssertThrowsError(try method.run(randomInputs(seq: 64, heads: 1, dim: 16, causal: false), context: RunContext(threads: 1))) {
            XCTAssertEqual(($0 as? EngineError)?.kind, .usage)
        }
    }
}
