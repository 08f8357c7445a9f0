import AttentionEngine
import Foundation

/// The sweep page (`w`): the setup rerun over several sequence lengths, latency and counted
/// FLOPs against N on log–log axes, one series per variant, so how cost grows is visible
/// (the dense count 4·d·H·N² — halved when causal — is drawn for comparison).
struct SweepPage {
    var state: AppState

    func draw(into buf: inout CellBuffer, _ r: Rect, theme: Theme) {
        guard let sweep = state.sweep else { return }
        let lengths = sweep.seqs.map(ReadableNumbers.grouped)
        let title = "Sweep · N = \(lengths.first!) … \(lengths.last!) (\(sweep.seqs.count) lengths) · Esc back"
        let inner = Frame(title: title, note: status(sweep), focused: true).draw(into: &buf, r, theme: theme)
        let labels = sweep.spec.methods.map(\.label)
        let done = sweep.seqs.filter { sweep.rows[$0] != nil }
        func points(_ label: String, _ value: (ResultRow) -> Double) -> [(x: Double, y: Double)] {
            done.compactMap { n in sweep.rows[n]?.first { $0.label == label }.map { (Double(n), value($0)) } }
        }
        /// The figure each legend entry quotes, from the longest length done so far, which it names.
        func note(_ label: String, _ figure: (ResultRow) -> String) -> String {
            guard let n = done.last, let row = sweep.rows[n]?.first(where: { $0.label == label }) else { return "" }
            return "\(figure(row)) at \(ReadableNumbers.grouped(n))"
        }
        let latency = labels.map { label in
            LogLogPlot.Series(label: label, points: points(label) { $0.latencyMs },
                              note: note(label) { "\(ReadableNumbers.milliseconds($0.latencyMs)) ms" })
        }
        var flops = labels.map { label in
            LogLogPlot.Series(label: label, points: points(label) { Double($0.flops) },
                              note: note(label) { "\(ReadableNumbers.percent($0.flopsSaved)) saved" })
        }
        if let first = labels.first { flops.append(LogLogPlot.Series(label: "dense count", points: points(first) { Double($0.denseFlops) })) }
        let half = inner.width / 2
        let (left, right) = inner.splitLeft(half)
        LogLogPlot(title: "latency ms vs N", series: latency, format: ReadableNumbers.milliseconds)
            .draw(into: &buf, left, theme: theme)
        LogLogPlot(title: "FLOPs counted vs N", series: flops, format: { ReadableNumbers.si($0, digits: 2) })
            .draw(into: &buf, right, theme: theme)
    }

    func status(_ sweep: SweepState) -> String {
        switch sweep.phase {
        case .running: "\(sweep.step + 1)/\(sweep.seqs.count) · \(sweep.stage) \(Int(sweep.fraction * 100))%"
        case .finished: "done"
        case .cancelled: "cancelled"
        case .failed(let e): "failed: \(e.message)"
        }
    }
}
