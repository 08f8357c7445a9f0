import AttentionEngine
import Foundation

/// `attnscope tui --bench-frame WxH`: how long one whole frame takes to draw, measured on
/// the state after a real run (results, coverage and attention maps present). Times the
/// layout and widgets drawing into the cell buffer, and the buffer encoded as ANSI text (a
/// full repaint, more than the ncurses backend's changed-cells flush ever writes), for each
/// heatmap view.
public enum FrameBenchmark {
    public static func run(spec: RunSpec, width: Int, height: Int, presets: PresetLibrary, frames: Int = 200) throws -> String {
        let app = try Dashboard.finishedApp(spec: spec, width: width, height: height, presets: presets)
        var out = "frame benchmark: \(width)×\(height), \(frames) frames per view, median / p95 / max in ms\n"
        for view in HeatmapView.allCases {
            var state = app.state
            state.heatmapView = view
            state.focus = .results
            var buffer = CellBuffer(width: width, height: height)
            var draw: [Double] = [], encode: [Double] = []
            var bytes = 0
            for _ in 0..<frames {
                let t0 = DispatchTime.now().uptimeNanoseconds
                Screen.draw(state, theme: .colour, now: 0, into: &buffer)
                let t1 = DispatchTime.now().uptimeNanoseconds
                let text = ANSIBackend.render(buffer)
                let t2 = DispatchTime.now().uptimeNanoseconds
                bytes = text.utf8.count
                draw.append(Double(t1 - t0) / 1e6)
                encode.append(Double(t2 - t1) / 1e6)
            }
            out += "  \(view.title.padding(toLength: 12, withPad: " ", startingAt: 0)) draw \(stats(draw))   ANSI encode \(stats(encode))   (\(bytes) bytes)\n"
        }
        return out
    }

    static func stats(_ xs: [Double]) -> String {
        let s = xs.sorted()
        let pick = { (q: Double) in s[min(s.count - 1, Int(Double(s.count) * q))] }
        return String(format: "%.2f / %.2f / %.2f", pick(0.5), pick(0.95), s.last!)
    }
}
