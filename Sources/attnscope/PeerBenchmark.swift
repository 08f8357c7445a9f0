import AttentionEngine
import Foundation

/// One peer's timing as `bench_peers.py` reports it (its CSV row): GFLOP/s by the
/// FlashAttention count 4·N²·d·H, halved for causal; the output checked against a float64
/// reference on sampled rows (`check` PASS/FAIL); `other_cpu` and `cores` as in `noise.py`.
struct PeerResult: Sendable {
    var peer: String
    var medianMs: Double
    var minMs: Double
    var gflops: Double
    var maxRelErr: Double
    var check: String
    var otherCPUs: Double
    var cores: Double

    /// The peer's FLOP count for a shape: 4·N²·d·H, halved when causal.
    static func flops(seq n: Int, headDim d: Int, heads h: Int, causal: Bool) -> Double {
        4 * Double(n) * Double(n) * Double(d) * Double(h) / (causal ? 2 : 1)
    }

    /// The median time as precisely as the CSV row gives it, with its relative rounding error:
    /// `median_ms` is printed to 0.1 ms and `gflops` to 0.01 GFLOP/s, so a short run is known
    /// better from its rate (0.3 ms at 2.13 GFLOP/s: ±0.2% instead of ±17%), a slow one from its time.
    func medianTime(flops: Double) -> (ms: Double, relativeError: Double) {
        let fromTime = (ms: medianMs, relativeError: medianMs > 0 ? 0.05 / medianMs : .infinity)
        let fromRate = (ms: flops / gflops / 1e6, relativeError: gflops > 0 ? 0.005 / gflops : .infinity)
        return fromRate.relativeError < fromTime.relativeError ? fromRate : fromTime
    }
}

/// Runs a CPU attention peer from the shared `peers` directory as a subprocess, in a Python
/// virtual environment that has `threadpoolctl` (the NumPy peer needs it to limit BLAS threads).
struct PeerBenchmark {
    var peersDirectory: String
    var python: String

    static let script = "bench_peers.py"

    /// Checks that `directory` holds the peers' script; the flag named in errors is `--peers-dir`.
    static func checkDirectory(_ directory: String) throws {
        guard FileManager.default.fileExists(atPath: directory + "/" + script) else {
            throw EngineError.usage("--peers-dir \(directory): no \(script) there (pass the directory of the attention peers, or --peer none)")
        }
    }

    /// The interpreter to use: `explicit` if given (it must import threadpoolctl), else the
    /// virtual environment at `venv`, created with the system's site packages (NumPy) and
    /// `pip install threadpoolctl` the first time.
    static func python(explicit: String?, venv: String, log: (String) -> Void) throws -> String {
        if let explicit {
            guard (try? Subprocess.run(explicit, ["-c", "import numpy, threadpoolctl"]))?.status == 0 else {
                throw EngineError.usage("--python \(explicit): cannot import numpy and threadpoolctl with it")
            }
            return explicit
        }
        let python = venv + "/bin/python"
        if (try? Subprocess.run(python, ["-c", "import numpy, threadpoolctl"]))?.status == 0 { return python }
        log("setting up the peers' Python environment in \(venv) (python3 -m venv --system-site-packages; pip install threadpoolctl)")
        let steps: [(String, [String])] = [
            ("python3", ["-m", "venv", "--system-site-packages", venv]),
            (python, ["-m", "pip", "install", "--quiet", "threadpoolctl"]),
            (python, ["-c", "import numpy, threadpoolctl"]),
        ]
        for (exe, args) in steps {
            let r = try? Subprocess.run(exe, args)
            guard let r, r.status == 0 else {
                let detail = r.map { $0.stderr.split(separator: "\n").suffix(3).joined(separator: " / ") } ?? "could not start \(exe)"
                throw EngineError.internal("""
                    could not set up the peers' Python environment at \(venv): `\(([exe] + args).joined(separator: " "))` failed: \(detail). \
                    Install python3-venv and NumPy, or pass --python with an interpreter that imports numpy and threadpoolctl, or --peer none
                    """)
            }
        }
        return python
    }

    /// Runs one peer on the shape and parses its CSV row. `cancelled` is polled while it runs.
    func run(peer: String, seq: Int, heads: Int, headDim: Int, causal: Bool, threads: Int, repeats: Int,
             waitQuiet: Double, cancelled: () -> Bool) throws -> PeerResult {
        let args = [peersDirectory + "/" + PeerBenchmark.script, "--seq", String(seq), "--head-dim", String(headDim),
                    "--heads", String(heads), "--causal", causal ? "1" : "0", "--threads", String(threads),
                    "--reps", String(max(3, repeats)), "--peers", peer, "--wait-quiet", String(waitQuiet)]
        let r = try Subprocess.run(python, args, cancelled: cancelled)
        if cancelled() { throw EngineError.cancelled }
        let lines = r.stdout.split(whereSeparator: \.isNewline).map(String.init)
        guard r.status == 0, let header = lines.first, let row = lines.dropFirst().first(where: { $0.hasPrefix(peer + ",") }) else {
            let why = r.stderr.split(separator: "\n").suffix(3).joined(separator: " / ")
            throw EngineError.internal("peer '\(peer)' failed (\(python) \(args.joined(separator: " "))): \(why.isEmpty ? "no result row" : why)")
        }
        let fields = Dictionary(zip(header.split(separator: ",").map(String.init), row.split(separator: ",").map(String.init)),
                                uniquingKeysWith: { a, _ in a })
        func number(_ key: String) throws -> Double {
            guard let text = fields[key], let x = Double(text) else {
                throw EngineError.internal("peer '\(peer)': no number in column '\(key)' of its CSV row: \(row)")
            }
            return x
        }
        return PeerResult(peer: peer, medianMs: try number("median_ms"), minMs: try number("min_ms"),
                          gflops: try number("gflops"), maxRelErr: try number("max_rel_err"), check: fields["check"] ?? "?",
                          otherCPUs: try number("other_cpu"), cores: try number("cores"))
    }
}

/// A child process with its output captured through files (never blocks on a full pipe).
enum Subprocess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` (a path, or a name looked up in PATH) and waits; if `cancelled`
    /// becomes true the child and everything it started are terminated.
    static func run(_ executable: String, _ arguments: [String], cancelled: () -> Bool = { false }) throws -> Result {
        let p = Process()
        if executable.contains("/") {
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [executable] + arguments
        }
        let base = NSTemporaryDirectory() + "attnscope-sub-" + UUID().uuidString
        defer { for s in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + s) } }
        for s in [".out", ".err"] where !FileManager.default.createFile(atPath: base + s, contents: nil) {
            throw EngineError.internal("cannot create the temporary file \(base + s)")
        }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: base + ".out")
        p.standardError = FileHandle(forWritingAtPath: base + ".err")
        try p.run()
        while p.isRunning {
            if cancelled() { terminateGroup(of: p) }
            usleep(20_000)
        }
        p.waitUntilExit()
        let read = { (s: String) in String(decoding: FileManager.default.contents(atPath: base + s) ?? Data(), as: UTF8.self) }
        return Result(status: p.terminationStatus, stdout: read(".out"), stderr: read(".err"))
    }

    /// Foundation starts the child as the leader of its own process group, so a Ctrl-C at the
    /// terminal never reaches what it starts (bench_peers.py times each peer in a worker
    /// process of its own); terminating only the child would leave that worker running.
    private static func terminateGroup(of p: Process) {
        let pid = p.processIdentifier
        if getpgid(pid) == pid { kill(-pid, SIGTERM) } else { p.terminate() }
    }
}
