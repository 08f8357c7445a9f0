/// How long a variant's warmup and timed runs have left, at the rate of what is done. The
/// exact kernels report progress in attention entries computed, so elapsed × (1 − f)/f
/// follows their time; before a second has passed the rate says too little.
public enum TimeLeft {
    public static func seconds(elapsed: Double, fraction f: Double) -> Double? {
        guard f > 0, f <= 1, elapsed >= 1 else { return nil }
        return elapsed * (1 - f) / f
    }

    /// As the dashboard and `attnscope run` word it: "about 12 min left".
    public static func text(elapsed: Double, fraction: Double) -> String? {
        seconds(elapsed: elapsed, fraction: fraction).map { "about \(ReadableNumbers.duration(seconds: $0)) left" }
    }
}
