import AttentionEngine

/// A column of the results table: its header (with units), how a row's value is shown, and
/// the value it sorts by. The standard columns come first, then the method extras that the
/// rows carry (so new methods' columns appear without changes here).
public struct ResultColumn: Sendable {
    public enum SortKey: Comparable, Sendable {
        case number(Double)
        case text(String)
    }

    public let id: String
    public let title: String
    public let leftAligned: Bool
    let text: @Sendable (ResultRow) -> String
    let sortKey: @Sendable (ResultRow) -> SortKey

    init(_ id: String, _ title: String, leftAligned: Bool = false, text: @escaping @Sendable (ResultRow) -> String,
         sortKey: @escaping @Sendable (ResultRow) -> SortKey) {
        self.id = id
        self.title = title
        self.leftAligned = leftAligned
        self.text = text
        self.sortKey = sortKey
    }

    public func text(_ row: ResultRow) -> String { text(row) }
    public func sortKey(_ row: ResultRow) -> SortKey { sortKey(row) }

    static func number(_ id: String, _ title: String, _ value: @escaping @Sendable (ResultRow) -> Double,
                       _ format: @escaping @Sendable (Double) -> String) -> ResultColumn {
        ResultColumn(id, title, text: { format(value($0)) }, sortKey: { .number(value($0)) })
    }

    public static let label = ResultColumn("label", "variant", leftAligned: true, text: { $0.label }, sortKey: { .text($0.label) })

    /// The standard columns after the label, in display order.
    public static let standard: [ResultColumn] = [
        .number("latency_ms", "latency ms", \.latencyMs, ReadableNumbers.milliseconds),
        .number("latency_ms_min", "min ms", \.latencyMsMin, ReadableNumbers.milliseconds),
        .number("gflops", "GFLOP/s", \.gflops) { String(format: "%.1f", $0) },
        .number("flops_saved", "FLOPs saved", \.flopsSaved, ReadableNumbers.percent),
        .number("rmse", "RMSE", \.rmse, ReadableNumbers.scientific),
        .number("recall", "recall", \.recall) { String(format: "%.4f", $0) },
        .number("memory_bytes", "memory", { Double($0.memoryBytes) }) { ReadableNumbers.si($0, binary: true) + "B" },
        .number("flops", "FLOPs", { Double($0.flops) }) { ReadableNumbers.si($0) },
        .number("max_abs_err", "max |err|", \.maxAbsErr, ReadableNumbers.scientific),
        .number("rel_l2_err", "rel L2 err", \.relL2Err, ReadableNumbers.scientific),
        .number("reference_rows", "ref rows", { Double($0.referenceRows) }) { ReadableNumbers.grouped(Int($0)) },
    ]

    /// Label, the standard columns, then every extra the rows carry, in order of first appearance.
    public static func all(for rows: [ResultRow]) -> [ResultColumn] {
        let extras = ResultWriters.columns(rows).dropFirst(ResultRow.standardColumns.count)
        return [label] + standard + extras.map(extra)
    }

    /// The sort key of a list of numbers (per head, per segment): the mean of its finite values.
    static func finiteMean(_ xs: [Double]) -> Double {
        let finite = xs.filter(\.isFinite)
        return finite.isEmpty ? -.infinity : finite.reduce(0, +) / Double(finite.count)
    }

    /// A method's extra value as a column (numbers to 4 digits; the Details panel shows 6).
    static func extra(_ name: String) -> ResultColumn {
        ResultColumn(name, name.replacingOccurrences(of: "_", with: " "), text: { row in
            switch row.value(of: name) {
            case .number(let x)?: ReadableNumbers.value(x, significant: 4, grouped: true)
            case .int(let i)?: ReadableNumbers.grouped(i)
            case .text(let t)?: t
            case .bool(let b)?: b ? "yes" : "no"
            case .list(let l)?: l.joined(separator: ",")
            case .numbers(let xs)?: ReadableNumbers.list(xs, significant: 3)
            case nil: ""
            }
        }, sortKey: { row in
            switch row.value(of: name) {
            case .number(let x)?: .number(x)
            case .int(let i)?: .number(Double(i))
            case .text(let t)?: .text(t)
            case .bool(let b)?: .number(b ? 1 : 0)
            case .list(let l)?: .text(l.joined(separator: ","))
            case .numbers(let xs)?: .number(finiteMean(xs))
            case nil: .number(-.infinity)
            }
        })
    }
}
