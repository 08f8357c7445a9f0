import AttentionEngine
import Foundation

/// `attnscope tui --bench-frame WxH`: how long one whole frame takes to draw, measured on
/// the state after a real run (results, coverage and attention maps present, the selected
/// row one with a coverage map). Times the layout and widgets drawing into the cell buffer,
/// and the buffer encoded as ANSI text (a full repaint — more than the ncurses backend's
/// changed-cells flush ever writes), for each heatmap view. Wall time can include time
/// the thread was preempted on a busy machine, so the thread's CPU time is shown as well.
public enum FrameBenchmark {
    public static func run(spec: RunSpec, width: Int, height: Int, presets: PresetLibrary, frames: Int = 200) throws -> String {
        let app = try Dashboard.finishedApp(spec: spec, width: width, height: height, presets: presets)
        var out = "frame benchmark: \(width)×\(height), \(frames) frames per view; wall median / p95 / max, thread CPU median (ms)\n"
        for view in HeatmapView.allCases {
            var state = app.state
            state.heatmapView = view
            state.focus = .results
            state.selectedLabel = state.session?.rows.first { $0.coverage != nil }?.label ?? state.selectedLabel
            var buffer = CellBuffer(width: width, height: height)
            var draw: [(wall: Double, cpu: Double)] = [], encode: [(wall: Double, cpu: Double)] = []
            var bytes = 0
            for _ in 0..<frames {
                let t0 = Clocks.now()
                Screen.draw(state, theme: .colour, now: 0, into: &buffer)
                let t1 = Clocks.now()
                bytes = ANSIBackend.render(buffer).utf8.count
                let t2 = Clocks.now()
                draw.append((t1.wall - t0.wall, t1.cpu - t0.cpu))
                encode.append((t2.wall - t1.wall, t2.cpu - t1.cpu))
            }
            out += "  \(view.title.padding(toLength: 12, withPad: " ", startingAt: 0)) draw \(stats(draw))   "
                + "ANSI encode \(stats(encode))   (\(bytes) bytes)\n"
        }
        return out
    }

    static func stats(_ xs: [(wall: Double, cpu: Double)]) -> String {
        let wall = xs.map(\.wall).sorted(), cpu = xs.map(\.cpu).sorted()
        let pick = { (s: [Double], q: Double) in s[min(s.count - 1, Int(Double(s.count) * q))] }
        return String(format: "%.2f / %.2f / %.2f, cpu %.2f", pick(wall, 0.5), pick(wall, 0.95), wall.last!, pick(cpu, 0.5))
    }
}

/// Wall-clock and this thread's CPU time, in milliseconds.
enum Clocks {
    static func now() -> (wall: Double, cpu: Double) {
        var w = timespec(), c = timespec()
        clock_gettime(CLOCK_MONOTONIC, &w)
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c)
        return (Double(w.tv_sec) * 1e3 + Double(w.tv_nsec) / 1e6, Double(c.tv_sec) * 1e3 + Double(c.tv_nsec) / 1e6)
    }
}
