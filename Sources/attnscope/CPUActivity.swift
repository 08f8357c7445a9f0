import Foundation
import Synchronization

/// How busy the machine was while something was timed, measured the way the peers'
/// `noise.py` does, so a benchmark can say how far to trust its wall-clock figures:
///
///     other_cpu = (busy CPU time of the whole machine − this process's CPU time) / wall time
///     cores     = this process's CPU time / wall time
///
/// Busy time is /proc/stat's first line minus idle and iowait; on systems without
/// /proc/stat both figures are NaN. /proc/stat counts whole clock ticks (10 ms) per CPU, so
/// over a short window `other_cpu` is noise (3.02 "other CPUs" on a 2-CPU machine over
/// 1 ms): under 20 ticks it is NaN.
struct CPUActivity: Sendable {
    var otherCPUs: Double
    var ownCPUs: Double

    /// One reading of the counters.
    struct Sample: Sendable {
        var machineBusy: Double?  // seconds
        var own: Double           // seconds
        var wall: Double          // seconds
    }

    static func sample() -> Sample {
        let usage = ownUsage()
        let own = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        let wall = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        return Sample(machineBusy: machineBusySeconds(), own: own, wall: wall)
    }

    init(from a: Sample, to b: Sample) {
        let wall = max(b.wall - a.wall, 1e-9)
        let own = b.own - a.own
        ownCPUs = own / wall
        let ticks = wall * Double(sysconf(Int32(_SC_CLK_TCK)))
        if let busy0 = a.machineBusy, let busy1 = b.machineBusy, ticks >= 20 {
            otherCPUs = max(0, (busy1 - busy0) - own) / wall
        } else {
            otherCPUs = .nan
        }
    }

    /// Waits until other processes use less than `threshold` CPUs over a one-second window,
    /// or `maxWait` seconds have passed. Returns the seconds waited.
    @discardableResult
    static func waitQuiet(maxWait: Double, threshold: Double = 0.25) -> Double {
        let start = sample()
        while true {
            let a = sample()
            if a.wall - start.wall >= maxWait { return a.wall - start.wall }
            Thread.sleep(forTimeInterval: 1)
            let b = sample()
            let other = CPUActivity(from: a, to: b).otherCPUs
            if !(other >= threshold) { return b.wall - start.wall }  // quiet, or unmeasurable
        }
    }

    /// getrusage(RUSAGE_SELF) (Glibc imports RUSAGE_SELF as an enum case).
    static func ownUsage() -> rusage {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return usage
    }

    /// Busy seconds of all CPUs since boot: every /proc/stat "cpu" field but idle and iowait.
    private static func machineBusySeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 5 else { return nil }
        return (ticks.reduce(0, +) - ticks[3] - ticks[4]) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// Brackets a stretch of work that starts and ends on whatever thread reports it (the
/// runner's events arrive on worker threads).
final class ActivityWindow: Sendable {
    private let samples = Mutex<(start: CPUActivity.Sample?, end: CPUActivity.Sample?)>((nil, nil))

    func start() { let s = CPUActivity.sample(); samples.withLock { $0.start = s } }
    func stop() { let s = CPUActivity.sample(); samples.withLock { $0.end = s } }

    var activity: CPUActivity? {
        samples.withLock { s in
            guard let a = s.start, let b = s.end else { return nil }
            return CPUActivity(from: a, to: b)
        }
    }
}
