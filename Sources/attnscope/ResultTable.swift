import AttentionEngine

/// The human-readable table `attnscope run` prints: a setup line, then one aligned row per variant.
enum ResultTable {
    static func render(_ result: ComparisonReport) -> String {
        let rows = result.rows
        guard let first = rows.first else { return "" }
        let s = result.spec
        let out = "N=\(ReadableNumbers.grouped(first.seq)) H=\(first.heads) G=\(first.kvHeads) d=\(first.headDim) "
            + "\(first.causal ? "causal" : "non-causal") workload=\(first.workload) seed=\(first.seed) "
            + "rope=\(s.ropeSettings.mode.rawValue) threads=\(first.threads) repeat=\(s.repeat) warmup=\(s.warmup) "
            + "reference_rows=\(first.referenceRows)/head\n"
        let header = ["label", "latency ms", "min ms", "GFLOP/s", "FLOPs", "saved", "rmse", "max abs", "rel l2", "recall", "memory"]
        var table = [header]
        for r in rows {
            table.append([
                r.label, ReadableNumbers.milliseconds(r.latencyMs), ReadableNumbers.milliseconds(r.latencyMsMin),
                String(format: "%.1f", r.gflops), ReadableNumbers.si(Double(r.flops)), ReadableNumbers.percent(r.flopsSaved),
                ReadableNumbers.scientific(r.rmse), ReadableNumbers.scientific(r.maxAbsErr), ReadableNumbers.scientific(r.relL2Err),
                String(format: "%.4f", r.recall), ReadableNumbers.si(Double(r.memoryBytes), binary: true) + "B",
            ])
        }
        return out + aligned(table) + extrasList(rows)
    }

    /// Each variant's own columns as `name=value` lines under the table: methods carry
    /// different extras, so one wide table would be mostly empty cells.
    static func extrasList(_ rows: [ResultRow]) -> String {
        let withExtras = rows.filter { !$0.extras.isEmpty }
        guard !withExtras.isEmpty else { return "" }
        let width = withExtras.map(\.label.count).max() ?? 0
        var out = "\n"
        for r in withExtras {
            let pairs = r.extras.map { e -> String in
                switch e.value {
                case .number(let x): return "\(e.name)=" + ReadableNumbers.value(x, significant: 4, grouped: false)
                case .text(let t): return "\(e.name)=\(t)"
                case .perHead(let l): return "\(e.name)=" + (l.count <= 16 ? l.joined(separator: ",") : "[\(l.count) values: --json/--csv]")
                case .perHeadNumbers(let l), .series(let l):
                    return "\(e.name)=" + (l.count <= 8 ? ReadableNumbers.list(l, significant: 3) : "[\(l.count) values: --json/--csv]")
                }
            }
            out += r.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + pairs.joined(separator: "  ") + "\n"
        }
        return out
    }

    /// Rows of cells as aligned text: the first column left-aligned, the others right-aligned,
    /// a rule under the first row (the header).
    static func aligned(_ table: [[String]]) -> String {
        guard let header = table.first else { return "" }
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for (i, row) in table.enumerated() {
            let line = row.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                       : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
            out += line + "\n"
            if i == 0 { out += String(repeating: "-", count: line.count) + "\n" }
        }
        return out
    }
}
