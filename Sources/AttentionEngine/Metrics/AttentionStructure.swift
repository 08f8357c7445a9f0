import Foundation

/// What the exact attention of a run's inputs looks like, on sampled query rows of every
/// head, in float64 (`attnscope structure`): how concentrated each row is, and — given the
/// `llm` workload's feature keys — how its mass splits over the needle, sinks, window,
/// stripes, slash lines, topics and the rest. Each row's probabilities are
///
///     p_j = exp(s_j − lse),  s_j = q·k_j/√d,  lse = log Σ_j exp(s_j)   (j ≤ i when causal)
///
/// and per row: entropy H = lse − Σ_j p_j·s_j (nats), H / ln(keys seen), the largest p_j,
/// and how many of the largest p_j it takes to hold 90% of the mass. Per class: its mass,
/// and its lift, the median over rows of (mass per key of the class) / (mass per ordinary
/// key) — 1 when the class is not special; for the needle, sinks and window the lift
/// compares with the uniform share 1 / (keys seen) instead. Lifts against ordinary keys
/// need at least 32 of them in the row.
public struct AttentionStructure: Sendable {
    /// Means over a set of rows (one head's, or every head's).
    public struct Summary: Sendable {
        public var rows = 0
        public var entropy = 0.0
        /// Mean of H / ln(keys seen): 1 for uniform attention, 0 for one-hot.
        public var entropyShare = 0.0
        public var maxProbability = 0.0
        /// Mean, and the smallest and largest over the rows, of the keys holding 90% of the mass.
        public var keysFor90 = 0.0, keysFor90Min = 0, keysFor90Max = 0
        /// Per `LLMFeatureKeys.KeyClass` (when measured with feature keys): mean mass per row.
        public var classMass: [Double] = []
        /// Per class: median lift over rows (nil for `ordinary`, and when no row had keys of the
        /// class to compare).
        public var classLift: [Double?] = []
    }

    /// The sampled query positions (the same for every head).
    public let rows: [Int]
    public let perHead: [Summary]
    public let pooled: Summary

    /// `count` positions evenly spaced from `first` to N − 1 (fewer if the range is shorter);
    /// `first` alone when `count` is 1.
    public static func sampledRows(seq: Int, first: Int, count: Int) -> [Int] {
        let lo = min(max(0, first), seq - 1), span = seq - 1 - lo
        guard count > 1, span > 0 else { return [lo] }
        let n = min(count, span + 1)
        return (0..<n).map { lo + Int((Double($0) * Double(span) / Double(n - 1)).rounded()) }
    }

    /// Measures `rows` of every head of `inputs`, classes from `features` when given.
    public init(_ inputs: AttentionInputs, rows: [Int], features: LLMFeatureKeys?, threads: Int,
                cancellation: CancellationFlag? = nil) throws {
        let heads = inputs.heads
        let slots = ResultSlots<RowStats>(count: heads * rows.count)
        inputs.withPointers { p in
            ParallelFor.run(count: heads * rows.count, threads: threads) { item in
                if cancellation?.isCancelled == true { return }
                let h = item / rows.count, i = rows[item % rows.count]
                slots.set(item, RowStats(inputs, pointers: p, head: h, row: i, features: features))
            }
        }
        try cancellation?.checkCancelled()
        let stats = slots.values
        self.rows = rows
        perHead = (0..<heads).map { h in Summary(Array(stats[h * rows.count..<(h + 1) * rows.count])) }
        pooled = Summary(stats)
    }
}

/// One row's figures, before averaging.
struct RowStats: Sendable {
    var entropy: Double
    var entropyShare: Double
    var maxProbability: Double
    var keysFor90: Int
    var classMass: [Double]
    var classLift: [Double?]

    init(_ inputs: AttentionInputs, pointers p: InputPointers, head h: Int, row i: Int, features: LLMFeatureKeys?) {
        let n = inputs.seq, d = inputs.headDim
        let keys = FlopCount.allowedKeys(row: i, seq: n, causal: inputs.causal)
        let q = p.q.base + inputs.q.offset(head: h, row: i)
        let kBase = p.k.base + inputs.k.offset(head: h / inputs.groupSize, row: 0)
        let scale = 1 / Double(d).squareRoot()
        let s = (0..<keys).map { Reference.dot(q, kBase + $0 * d, d) * scale }
        let top = s.max()!
        let lse = top + log(s.reduce(0) { $0 + exp($1 - top) })
        var prob = s.map { exp($0 - lse) }
        entropy = lse - zip(prob, s).reduce(0) { $0 + $1.0 * $1.1 }
        entropyShare = keys > 1 ? entropy / log(Double(keys)) : 0
        maxProbability = exp(top - lse)
        if let features {
            let classes = features.classes(head: h, row: i, keys: keys)
            let all = LLMFeatureKeys.KeyClass.allCases
            var mass = [Double](repeating: 0, count: all.count), count = [Int](repeating: 0, count: all.count)
            for j in 0..<keys { mass[classes[j].rawValue] += prob[j]; count[classes[j].rawValue] += 1 }
            let ordinary = LLMFeatureKeys.KeyClass.ordinary.rawValue
            let perOrdinaryKey = count[ordinary] >= 32 ? mass[ordinary] / Double(count[ordinary]) : nil
            classMass = mass
            classLift = all.map { c -> Double? in
                let k = c.rawValue
                guard c != .ordinary, count[k] > 0 else { return nil }
                let perKey = mass[k] / Double(count[k])
                if c == .sink || c == .window || c == .needle { return perKey * Double(keys) }
                return perOrdinaryKey.map { perKey / $0 }
            }
        } else {
            classMass = []
            classLift = []
        }
        prob.sort(by: >)
        var held = 0.0, taken = 0
        while taken < keys && held < 0.9 { held += prob[taken]; taken += 1 }
        keysFor90 = taken
    }
}

extension AttentionStructure.Summary {
    init(_ rows: [RowStats]) {
        self.rows = rows.count
        guard !rows.isEmpty else { return }
        let n = Double(rows.count)
        func mean(_ f: (RowStats) -> Double) -> Double { rows.reduce(0) { $0 + f($1) } / n }
        entropy = mean(\.entropy)
        entropyShare = mean(\.entropyShare)
        maxProbability = mean(\.maxProbability)
        keysFor90 = mean { Double($0.keysFor90) }
        keysFor90Min = rows.map(\.keysFor90).min()!
        keysFor90Max = rows.map(\.keysFor90).max()!
        let classes = rows[0].classMass.count
        classMass = (0..<classes).map { c in mean { $0.classMass[c] } }
        classLift = (0..<classes).map { c in
            let lifts = rows.compactMap { $0.classLift[c] }.sorted()
            return lifts.isEmpty ? nil : lifts[lifts.count / 2]
        }
    }
}

extension AttentionStructure.Summary {
    /// Mean mass per row of class `c` (nil if measured without feature keys).
    public func mass(_ c: LLMFeatureKeys.KeyClass) -> Double? { classMass.isEmpty ? nil : classMass[c.rawValue] }
    /// Median lift of class `c` (nil without feature keys, for `ordinary`, or with nothing to compare).
    public func lift(_ c: LLMFeatureKeys.KeyClass) -> Double? { classLift.isEmpty ? nil : classLift[c.rawValue] }
}
