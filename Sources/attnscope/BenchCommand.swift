import ArgumentParser
import AttentionEngine
import Foundation

/// `attnscope bench`: the speed claim of issue 2 as a command. On one shape it times an
/// exact method (default `flash`) on `--threads` workers and on one, and a CPU peer from the
/// shared peers directory (default NumPy) in the same run, then reports both GFLOP/s, their
/// ratio, the single-thread GFLOP/s and the scaling factor, with how busy the rest of the
/// machine was during each timing (`other_cpu`) so a noisy figure can be recognised.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time flash against a CPU attention peer (NumPy) on one shape, in the same run.",
        discussion: """
            Reports GFLOP/s of the method at --threads and at 1 thread (median of --repeat after \
            --warmup), the peer's GFLOP/s at --threads, ratio = peer median time / method median \
            time (same work), and the peak resident memory of this process against the size of \
            Q, K, V and O. The peer runs as `python bench_peers.py ... --peers PEER` from \
            --peers-dir, in a virtual environment (.build/peers-venv) created on first use; \
            it is first tried on at most 128 tokens, so a peer that cannot run fails before \
            anything is timed.
            """)

    @Option(parsing: .unconditional, help: "Sequence length N.") var seq = 16384
    @Option(parsing: .unconditional, help: "Query heads H (kv heads = H).") var heads = 8
    @Option(name: .customLong("head-dim"), parsing: .unconditional, help: "Head dimension d.") var headDim = 128
    @Flag(inversion: .prefixedNo, help: "Causal mask.") var causal = true
    @Option(parsing: .unconditional, help: "Worker threads (the method and the peer).") var threads = 2
    @Option(parsing: .unconditional, help: "Timed runs (median reported); the peer runs at least 3.") var `repeat` = 3
    @Option(parsing: .unconditional, help: "Untimed runs of the method before the timed ones.") var warmup = 1
    @Option(parsing: .unconditional, help: "Seed of the method's random N(0,1) inputs: a whole number 0…18446744073709551615.") var seed: UInt64 = 1
    @Option(name: .customLong("method"), help: "The exact method to time, flash or dense[:key=value,...].") var method = "flash"
    @Option(name: .customLong("reference-rows"), parsing: .unconditional, help: "Query rows per head checked against the float64 reference.")
    var referenceRows = 16
    @Option(help: "Peer from bench_peers.py (numpy, torch_fp32, ...), or none.") var peer = "numpy"
    @Option(name: .customLong("peers-dir"), help: "Directory of bench_peers.py (default: the nearest shared/tools/peers above the package root).")
    var peersDir: String?
    @Option(help: "Python for the peer (must import numpy and threadpoolctl); default: a venv in .build/peers-venv.")
    var python: String?
    @Option(name: .customLong("wait-quiet"), parsing: .unconditional, help: "Before each timing, wait up to S seconds for other processes to use < 0.25 CPU.")
    var waitQuiet = 0.0
    @Flag(name: .customLong("skip-single-thread"), help: "Do not time the method on one thread.") var skipSingleThread = false
    @Option(help: "Write the summary as CSV (header + one row) to FILE, or - for stdout.") var csv: String?

    func run() throws {
        do {
            try runBench()
        } catch {
            throw reportedExit(error)
        }
    }

    private func runBench() throws {
        guard waitQuiet >= 0, waitQuiet.isFinite else { throw EngineError.usage("--wait-quiet \(waitQuiet) must be 0 or more seconds") }
        let spec = try spec(threads: threads)
        if let path = csv, path != "-" { try AtomicFile.checkDestination(path) }
        let peerRunner = try peer == "none" ? nil : preparePeer()

        let cancellation = CancellationFlag()
        let interrupt = InterruptHandler { cancellation.cancel() }
        defer { interrupt.restore() }

        if let peerRunner {
            // A misspelt or uninstalled peer should fail now, not after minutes of timing the method.
            note("checking that peer \(peer) runs (\(min(seq, 128)) tokens)")
            _ = try peerRunner.run(peer: peer, seq: min(seq, 128), heads: heads, headDim: headDim, causal: causal,
                                   threads: threads, repeats: 3, waitQuiet: 0, cancelled: { cancellation.isCancelled })
        }
        var summary = BenchSummary(spec: spec, peerName: peer == "none" ? nil : peer)
        summary.main = try measure(spec, cancellation: cancellation)
        if let peerRunner {
            note("timing peer \(peer) on \(threads) thread(s)")
            summary.peer = try peerRunner.run(peer: peer, seq: seq, heads: heads, headDim: headDim, causal: causal,
                                              threads: threads, repeats: `repeat`, waitQuiet: waitQuiet,
                                              cancelled: { cancellation.isCancelled })
        }
        if threads > 1 && !skipSingleThread {
            summary.singleThread = try measure(try self.spec(threads: 1), cancellation: cancellation)
        }
        summary.peakResidentBytes = BenchSummary.peakResidentBytes()

        let stdoutTaken = csv == "-"
        if !stdoutTaken { StandardStreams.output(summary.table()) }
        if let path = csv {
            let text = summary.csv()
            if path == "-" { StandardStreams.output(text) } else { try AtomicFile.write(text, to: path) }
        }
        if let p = summary.peer, p.check != "PASS" {
            throw EngineError.internal("peer '\(p.peer)' failed its own float64 check (max_rel_err \(p.maxRelErr))")
        }
    }

    /// The run spec of one timing: random N(0,1) inputs, one method variant.
    private func spec(threads: Int) throws -> RunSpec {
        var s = RunSpec()
        s.seq = seq; s.heads = heads; s.kvHeads = heads; s.headDim = headDim; s.causal = causal
        s.workload = .random; s.seed = seed; s.threads = threads; s.repeat = `repeat`; s.warmup = warmup
        s.referenceRows = .count(referenceRows)
        let variant = try MethodSpec(parsing: method)
        guard Self.exactMethods.contains(variant.method) else {
            _ = try MethodRegistry.descriptor(named: variant.method)  // an unknown name says so first
            throw EngineError.usage("""
                --method \(variant.method): bench times exact attention (\(Self.exactMethods.joined(separator: " or "))) \
                against the peer, so the ratio is a speed-up on the same work; \(variant.method) computes other entries or \
                other values. Compare it with flash in `attnscope run`
                """)
        }
        s.methods = [variant]
        try s.validate()
        return s
    }

    /// Methods that compute every entry of the same attention as the peer (at any precision).
    static let exactMethods = ["flash", "dense"]

    /// Times the spec's variant through the comparison runner (the same timing as `attnscope
    /// run`), recording the machine's activity between the variant's start and its result.
    private func measure(_ spec: RunSpec, cancellation: CancellationFlag) throws -> BenchSummary.Timing {
        if waitQuiet > 0 { CPUActivity.waitQuiet(maxWait: waitQuiet) }
        note("timing \(spec.methods[0].label) on \(spec.threads) thread(s)")
        let window = ActivityWindow()
        let report = try ComparisonRunner(spec: spec).run(cancellation: cancellation) { event in
            switch event {
            case .variantStarted: window.start()
            case .result: window.stop()
            default: break
            }
        }
        guard let row = report.rows.first else { throw EngineError.internal("bench: the runner returned no row") }
        return BenchSummary.Timing(row: row, activity: window.activity)
    }

    /// Finds the peers' script and a Python that can run it.
    private func preparePeer() throws -> PeerBenchmark {
        let root = PackageRoot.find()
        guard let dir = peersDir ?? root.flatMap(PackageRoot.sharedPeers) else {
            throw EngineError.usage("cannot find shared/tools/peers above the package root: pass --peers-dir DIR (or --peer none)")
        }
        try PeerBenchmark.checkDirectory(dir)
        let venv = (root ?? FileManager.default.currentDirectoryPath) + "/.build/peers-venv"
        let python = try PeerBenchmark.python(explicit: python, venv: venv, log: note)
        return PeerBenchmark(peersDirectory: dir, python: python)
    }

    private func note(_ text: String) {
        StandardStreams.error("bench: \(text)\n")
    }
}

/// The directory holding Package.swift: searched upwards from the executable (which lives
/// in .build/<configuration>/), then from the current directory.
enum PackageRoot {
    static func find() -> String? {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let starts = [URL(fileURLWithPath: exe).deletingLastPathComponent(), URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        for start in starts {
            var dir = start.standardizedFileURL
            while dir.path != "/" {
                if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { return dir.path }
                dir.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// `shared/tools/peers` in the closest parent of `root` that has one: `../shared/tools/peers`
    /// for a checkout beside `shared/`, further up for a worktree nested one level deeper.
    static func sharedPeers(above root: String) -> String? {
        var dir = URL(fileURLWithPath: root).standardizedFileURL.deletingLastPathComponent()
        while true {
            let candidate = dir.appendingPathComponent("shared/tools/peers")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(PeerBenchmark.script).path) { return candidate.path }
            if dir.path == "/" { return nil }
            dir.deleteLastPathComponent()
        }
    }
}
