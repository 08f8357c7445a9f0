import AttentionEngine
import XCTest

final class RunSpecCommandLineTests: XCTestCase {
    func testEverySettingIsWrittenAndQuotedForTheShell() throws {
        var s = RunSpec()
        s.seq = 8192; s.heads = 8; s.kvHeads = 2; s.headDim = 96; s.causal = false; s.workload = .outliers
        s.seed = 42; s.rope = .standard; s.ropeBase = 500_000; s.ropeStyle = .interleaved; s.threads = 2
        s.repeat = 5; s.warmup = 0; s.referenceRows = .count(64)
        s.methods = [MethodSpec(method: "dense"), try MethodSpec(parsing: "flash:tile_q=32,label=my run's flash")]
        XCTAssertEqual(s.commandLine, "attnscope run --seq 8192 --heads 8 --kv-heads 2 --head-dim 96 --workload outliers "
            + "--no-causal --seed 42 --rope standard --rope-base 500000 --rope-style interleaved --threads 2 --repeat 5 "
            + "--warmup 0 --reference-rows 64 --method dense --method 'flash:tile_q=32,label=my run'\\''s flash'")
    }

    func testInputsReplaceTheShapeAndTheWorkloadDefaultRopeIsLeftOut() {
        var s = RunSpec()
        s.inputs = "/data/qkv"
        XCTAssertTrue(s.commandLineArguments.starts(with: ["run", "--inputs", "/data/qkv", "--causal"]))
        XCTAssertFalse(s.commandLineArguments.contains("--rope"))
        XCTAssertFalse(s.commandLineArguments.contains("--seq"))
    }
}
