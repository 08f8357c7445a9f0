import AttentionEngine

/// The human-readable table `attnscope run` prints: a setup line, then one aligned row per variant.
enum ResultTable {
    static func render(_ result: ComparisonReport) -> String {
        let rows = result.rows
        guard let first = rows.first else { return "" }
        let s = result.spec
        var out = "N=\(ReadableNumbers.grouped(first.seq)) H=\(first.heads) G=\(first.kvHeads) d=\(first.headDim) "
            + "\(first.causal ? "causal" : "non-causal") workload=\(first.workload) seed=\(first.seed) "
            + "rope=\(s.ropeSettings.mode.rawValue) threads=\(first.threads) repeat=\(s.repeat) warmup=\(s.warmup) "
            + "reference_rows=\(first.referenceRows)/head\n"
        let extraNames = ResultWriters.columns(rows).dropFirst(ResultRow.standardColumns.count)
        let header = ["label", "latency ms", "min ms", "GFLOP/s", "FLOPs", "saved", "rmse", "max abs", "rel l2", "recall", "memory"]
            + extraNames
        var table = [header]
        for r in rows {
            var cells = [
                r.label, ReadableNumbers.milliseconds(r.latencyMs), ReadableNumbers.milliseconds(r.latencyMsMin),
                String(format: "%.1f", r.gflops), ReadableNumbers.si(Double(r.flops)), ReadableNumbers.percent(r.flopsSaved),
                ReadableNumbers.scientific(r.rmse), ReadableNumbers.scientific(r.maxAbsErr), ReadableNumbers.scientific(r.relL2Err),
                String(format: "%.4f", r.recall), ReadableNumbers.si(Double(r.memoryBytes), binary: true) + "B",
            ]
            for name in extraNames {
                switch r.value(of: name) {
                case .number(let x)?: cells.append(x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(format: "%.4g", x))
                case .text(let t)?: cells.append(t)
                case .list(let l)?: cells.append(l.count <= 16 ? l.joined(separator: ",") : "\(l.count) values (--json/--csv)")
                default: cells.append("")
                }
            }
            table.append(cells)
        }
        let widths = header.indices.map { c in table.map { $0[c].count }.max() ?? 0 }
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
