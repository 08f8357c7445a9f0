import Foundation

/// Numbers formatted for reading in tables (the CLI's and the dashboard's): thousands
/// separators for counts, SI prefixes for big quantities, scientific notation for errors.
public enum ReadableNumbers {
    /// 1234567 → "1,234,567".
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// 3.2e12 → "3.20T"; bytes use binary prefixes: 1536 → "1.50Ki".
    public static func si(_ x: Double, binary: Bool = false, digits: Int = 3) -> String {
        guard x.isFinite else { return x.isNaN ? "–" : "∞" }
        let base = binary ? 1024.0 : 1000.0
        let prefixes = binary ? ["", "Ki", "Mi", "Gi", "Ti", "Pi"] : ["", "k", "M", "G", "T", "P", "E"]
        var v = abs(x), i = 0
        while v >= base && i < prefixes.count - 1 { v /= base; i += 1 }
        let decimals = v >= 100 ? max(0, digits - 3) : v >= 10 ? max(0, digits - 2) : max(0, digits - 1)
        return (x < 0 ? "-" : "") + String(format: "%.\(decimals)f", v) + prefixes[i]
    }

    /// Errors: "3.21e-04"; exactly zero prints "0"; NaN (an output with NaN or ∞ in it)
    /// prints "NaN", never a dash that could pass for "not measured".
    public static func scientific(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "NaN" : "∞" }
        return x == 0 ? "0" : String(format: "%.2e", x)
    }

    /// Milliseconds with 3 significant digits.
    public static func milliseconds(_ x: Double) -> String {
        x >= 100 ? String(format: "%.0f", x) : x >= 10 ? String(format: "%.1f", x) : String(format: "%.2f", x)
    }

    /// A method's extra value: a whole number as an integer (thousands grouped when
    /// `grouped`; the CLI's `name=value` lines leave them out), otherwise `significant`
    /// significant digits.
    public static func value(_ x: Double, significant: Int, grouped: Bool) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : x > 0 ? "inf" : "-inf" }  // %g prints "-nan" for some NaNs
        guard let n = whole(x) else { return String(format: "%.\(significant)g", x) }
        return grouped ? Self.grouped(n) : String(n)
    }

    /// A list of numbers (per head, per segment) in one cell: each to `significant` digits,
    /// comma-separated.
    public static func list(_ xs: [Double], significant: Int) -> String {
        xs.map { value($0, significant: significant, grouped: false) }.joined(separator: ",")
    }

    /// `x` as an integer when it is a whole number small enough to print exactly (counts
    /// that extras carry as Double), else nil.
    public static func whole(_ x: Double) -> Int? {
        x == x.rounded() && abs(x) < 1e15 ? Int(x) : nil
    }

    /// A duration to read at a glance: "45 s", "12 min", "2 h 05 min".
    public static func duration(seconds s: Double) -> String {
        if s < 90 { return "\(Int(s.rounded())) s" }
        let minutes = Int((s / 60).rounded())
        return minutes < 90 ? "\(minutes) min" : String(format: "%d h %02d min", minutes / 60, minutes % 60)
    }

    public static func percent(_ x: Double) -> String {
        guard x.isFinite else { return "–" }
        return String(format: "%.1f%%", x * 100)
    }
}
