import AttentionEngine
import Foundation

/// What `attnscope bench` measured, as a table for people and one CSV row for scripts.
///
/// - `gflops`: the method's counted FLOPs / median latency (for causal flash exactly
///   4·d·H·N(N+1)/2); the peer's GFLOP/s use its own count 4·N²·d·H/2, which is smaller by
///   the factor N/(N+1) (0.006% at N = 16384).
/// - `ratio` = peer median time / method median time: the speed-up on the same work, i.e.
///   the GFLOP/s ratio under one common FLOP count. The peer's time is taken from its CSV
///   row's time or rate, whichever was printed more precisely; when neither pins it to 1%
///   (a run of well under a millisecond) there is no ratio.
/// - `scaling` = GFLOP/s at `threads` / GFLOP/s at 1 thread.
/// - `peak_rss_bytes`: this process's peak resident memory (getrusage), which holds the
///   inputs, one output, the reference rows and the method's scratch; `io_bytes` is
///   Q + K + V + O. The peer runs in its own process and is not included.
struct BenchSummary {
    struct Timing {
        var row: ResultRow
        var activity: CPUActivity?
    }

    var spec: RunSpec
    var peerName: String?
    var main: Timing?
    var singleThread: Timing?
    var peer: PeerResult?
    var peakResidentBytes: Int?

    init(spec: RunSpec, peerName: String?) {
        self.spec = spec
        self.peerName = peerName
    }

    /// Q, K, V and O (the bench's random inputs are not rotated): what peak memory is compared with.
    var ioBytes: Int { MemoryBudget.inputBytes(spec.shape, rotated: false, outputs: 1) }

    /// The most a ratio's peer time may be off through the rounding of its CSV row.
    static let ratioResolution = 0.01

    var ratio: Double? {
        let peerFlops = PeerResult.flops(seq: spec.seq, headDim: spec.headDim, heads: spec.heads, causal: spec.causal)
        guard let m = main, let t = peer?.medianTime(flops: peerFlops), t.relativeError <= Self.ratioResolution,
              m.row.latencyMs > 0 else { return nil }
        return t.ms / m.row.latencyMs
    }

    var scaling: Double? {
        guard let m = main, let s = singleThread, s.row.gflops > 0 else { return nil }
        return m.row.gflops / s.row.gflops
    }

    /// Peak resident set of this process in bytes (Linux reports kilobytes, macOS bytes).
    static func peakResidentBytes() -> Int {
        let usage = CPUActivity.ownUsage()
        #if os(Linux)
        return Int(usage.ru_maxrss) * 1024
        #else
        return Int(usage.ru_maxrss)
        #endif
    }

    func table() -> String {
        let s = spec
        var out = "N=\(ReadableNumbers.grouped(s.seq)) H=\(s.heads) d=\(s.headDim) \(s.causal ? "causal" : "non-causal") "
            + "random inputs seed=\(s.seed), median of \(s.repeat) after \(s.warmup) warmup\n"
        var rows = [["run", "threads", "median ms", "min ms", "GFLOP/s", "rel l2 err", "other cpu", "cores"]]
        func add(_ t: Timing?) {
            guard let t else { return }
            rows.append([t.row.label, String(t.row.threads), ReadableNumbers.milliseconds(t.row.latencyMs),
                         ReadableNumbers.milliseconds(t.row.latencyMsMin), String(format: "%.1f", t.row.gflops),
                         ReadableNumbers.scientific(t.row.relL2Err) + " (\(t.row.referenceRows) rows)",
                         Self.format(t.activity?.otherCPUs), Self.format(t.activity?.ownCPUs)])
        }
        add(main)
        add(singleThread)
        if let p = peer {
            rows.append([p.peer + " (peer)", String(s.threads), ReadableNumbers.milliseconds(p.medianMs),
                         ReadableNumbers.milliseconds(p.minMs), String(format: "%.1f", p.gflops),
                         "check \(p.check) (\(ReadableNumbers.scientific(p.maxRelErr)))",
                         Self.format(p.otherCPUs), Self.format(p.cores)])
        }
        out += ResultTable.aligned(rows)
        if let r = ratio, let p = peer {
            out += String(format: "ratio %@ / %@ at %d threads (peer time / method time): %.2f×\n", main!.row.label, p.peer, s.threads, r)
        } else if main != nil, peer != nil {
            out += "ratio n/a: the peer's CSV row (time to 0.1 ms, rate to 0.01 GFLOP/s) does not give its time to 1% at this shape; time a larger one\n"
        }
        if let x = scaling { out += String(format: "scaling 1 → %d threads: %.2f×\n", s.threads, x) }
        if let rss = peakResidentBytes {
            out += String(format: "peak resident memory %@B = %.2f × Q+K+V+O (%@B)\n",
                          ReadableNumbers.si(Double(rss), binary: true), Double(rss) / Double(ioBytes),
                          ReadableNumbers.si(Double(ioBytes), binary: true))
        }
        return out
    }

    static let csvColumns = [
        "seq", "heads", "head_dim", "causal", "threads", "method", "median_ms", "min_ms", "gflops", "rel_l2_err",
        "reference_rows", "other_cpu", "cores", "median_ms_1_thread", "gflops_1_thread", "other_cpu_1_thread", "scaling",
        "peer", "peer_median_ms", "peer_gflops", "peer_check", "peer_max_rel_err", "peer_other_cpu", "peer_cores",
        "ratio", "peak_rss_bytes", "io_bytes",
    ]

    /// Header and one row; fields of parts that did not run are empty.
    func csv() -> String {
        func num(_ x: Double?) -> String { x.map { $0.isNaN ? "nan" : "\($0)" } ?? "" }
        let m = main?.row, one = singleThread?.row
        let cells: [String] = [
            String(spec.seq), String(spec.heads), String(spec.headDim), String(spec.causal), String(spec.threads),
            spec.methods[0].commandLineForm, num(m?.latencyMs), num(m?.latencyMsMin), num(m?.gflops), num(m?.relL2Err),
            m.map { String($0.referenceRows) } ?? "", num(main?.activity?.otherCPUs), num(main?.activity?.ownCPUs),
            num(one?.latencyMs), num(one?.gflops), num(singleThread?.activity?.otherCPUs), num(scaling),
            peerName ?? "", num(peer?.medianMs), num(peer?.gflops), peer?.check ?? "", num(peer?.maxRelErr),
            num(peer?.otherCPUs), num(peer?.cores), num(ratio), peakResidentBytes.map(String.init) ?? "", String(ioBytes),
        ]
        return Self.csvColumns.joined(separator: ",") + "\r\n" + cells.map(ResultWriters.csvQuote).joined(separator: ",") + "\r\n"
    }

    private static func format(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "n/a" }
        return String(format: "%.2f", x)
    }
}
