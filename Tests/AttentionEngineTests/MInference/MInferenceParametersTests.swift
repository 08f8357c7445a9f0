import AttentionEngine
import TestSupport
import XCTest

/// Misuse of the `minference` keys is a usage error naming the key, never silently ignored.
final class MInferenceParametersTests: XCTestCase {

    func testKeysThePatternNeverReadsAreRefused() {
        assertMethodSpecRejected("minference:pattern=a-shape,vertical=10", mentions: "'vertical'")
        assertMethodSpecRejected("minference:pattern=vertical-slash,top_k=3", mentions: "'top_k'")
        assertMethodSpecRejected("minference:slash=100,sink=4", mentions: "'sink'")
        assertMethodSpecRejected("minference:pattern=block-sparse,last_q=32", mentions: "'last_q'")
        assertMethodSpecRejected("minference:pattern=auto,local=100", mentions: "'local'")
        assertMethodSpecRejected("minference:layer=1", mentions: "'layer'")
        assertMethodSpecRejected("minference:pattern=block-sparse,slash_mode=exact", mentions: "'slash_mode'")
        assertMethodSpecRejected("minference:pattern=auto,slash_mode=exact", mentions: "'slash_mode'")
        assertMethodSpecRejected("minference:slash_mode=diagonal", mentions: "slash_mode=diagonal")
        assertMethodSpecRejected("minference:pattern=sparse", mentions: "pattern=sparse")
        assertMethodSpecRejected("minference:block=8", mentions: "block=8")
        assertMethodSpecRejected("minference:vertical=x", mentions: "vertical=x")
    }

    func testNonCausalIsRefused() throws {
        let method = try MethodRegistry.make(MethodSpec(parsing: "minference"))
        XCTAssertThrowsError(try method.run(randomInputs(seq: 64, heads: 1, dim: 16, causal: false), context: RunContext(threads: 1))) {
            XCTAssertEqual(($0 as? EngineError)?.kind, .usage)
        }
    }
}
