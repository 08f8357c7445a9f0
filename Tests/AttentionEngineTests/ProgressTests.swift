import AttentionEngine
import Synchronization
import TestSupport
import XCTest

/// Exact kernels report progress as the share of allowed (query, key) entries computed, so
/// the dashboard's bar and time left follow the work: under a causal mask a late row block
/// costs up to N/16 times an early one, and a count of blocks would run far behind the clock.
final class ProgressTests: XCTestCase {
    /// Every fraction one run of `method` reports, on one worker so they arrive in order.
    func fractions(_ method: any AttentionMethod, _ inputs: AttentionInputs) throws -> [Double] {
        let seen = Mutex<[Double]>([])
        _ = try method.run(inputs, context: RunContext(threads: 1) { f in seen.withLock { $0.append(f) } })
        return seen.withLock { $0 }
    }

    func testExactKernelsReportTheirShareOfAllowedEntries() throws {
        let (n, heads) = (100, 2)
        for causal in [true, false] {
            let inputs = randomInputs(seq: n, heads: heads, kvHeads: 1, dim: 16, causal: causal)
            let allowed = Double(FlopCount.allowedEntries(seq: n, heads: heads, causal: causal))
            let kernels: [(String, any AttentionMethod, rowsPerItem: Int)] = [
                ("dense", DenseAttention(), 16), ("dense bf16", DenseAttention(precision: .bf16), 16),
                ("flash", FlashAttention(tileQ: 32, tileK: 16), 32),
                ("flash fp8", FlashAttention(tileQ: 32, tileK: 16, numerics: FlashNumerics(precision: .fp8)), 32),
            ]
            for (name, method, rowsPerItem) in kernels {
                let f = try fractions(method, inputs)
                XCTAssertEqual(f.last, 1, "\(name) causal=\(causal)")
                // Each report adds one item's entries: a block of rows of one head.
                let steps = zip(f, [0] + f).map { (($0 - $1) * allowed).rounded() }.sorted()
                let perBlock = stride(from: 0, to: n, by: rowsPerItem).map { r0 in
                    (r0..<min(r0 + rowsPerItem, n)).reduce(0) { $0 + FlopCount.allowedKeys(row: $1, seq: n, causal: causal) }
                }
                let expected = Array(repeating: perBlock, count: heads).joined().map(Double.init).sorted()
                XCTAssertEqual(steps, expected, "\(name) causal=\(causal)")
            }
        }
    }
}
