import AttentionEngine
import Foundation

/// Exact attention mass of a run's inputs in each structural class of the `llm` workload
/// (its sinks, window, stripes, slash lines and topics for the same spec), measured on
/// sampled rows of every head: with the float64 reference's log-sum-exp,
/// p_ij = exp(q_i·k_j/√d − lse_i). Classes are disjoint, taken in this order:
/// - sink: keys 0 ..< sinkCount;
/// - window: the last 64 keys up to the query (after the sinks);
/// - stripe: stripe keys before the window;
/// - slash: keys within ±2 of i − Δ for each of the head's offsets Δ beyond the window;
/// - topic (topic heads only): other keys of segments with the query's topic;
/// - ordinary: the rest.
/// Each class reports its mean mass per row and its lift, the median over rows of
/// (mass per key of the class) / (mass per key of ordinary keys): 1 when the class is not
/// special. For sinks and the window the lift compares with the uniform share instead.
struct AttentionStructure {
    struct Share: CustomStringConvertible {
        var mass = 0.0
        var lift = 0.0
        var description: String { String(format: "mass %.4f lift %.3g", mass, lift) }
    }

    /// Per-row values of one class while measuring.
    struct Tally {
        var mass = 0.0
        var lifts: [Double] = []
        func share(rows: Int) -> Share {
            let sorted = lifts.sorted()
            return Share(mass: mass / Double(rows), lift: sorted.isEmpty ? .nan : sorted[sorted.count / 2])
        }
    }

    static let window = 64
    let inputs: AttentionInputs
    let plans: [LLMQueryPlan]
    var sink = Share(), window = Share(), stripe = Share(), slash = Share(), topic = Share()
    /// Mean window mass of each head.
    var perHeadWindowMass: [Double]
    /// Mean softmax entropy (nats) over heads and the last 12 sampled rows.
    var entropy = 0.0

    static func spec(workload: WorkloadKind, seq: Int = 4096, rope: RopeSettings.Mode? = nil,
                     style: RopeSettings.Style = .half) -> RunSpec {
        var spec = RunSpec()
        spec.seq = seq; spec.heads = 8; spec.kvHeads = 4; spec.headDim = 64
        spec.workload = workload; spec.seed = 1; spec.rope = rope; spec.ropeStyle = style; spec.threads = 2
        return spec
    }

    init(workload: WorkloadKind, rope: RopeSettings.Mode? = nil, style: RopeSettings.Style = .half) throws {
        let spec = AttentionStructure.spec(workload: workload, rope: rope, style: style)
        let inputs = try InputPreparation.prepare(spec)
        self.inputs = inputs
        let n = inputs.seq, heads = inputs.heads, d = inputs.headDim
        let shape = AttentionShape(seq: n, heads: heads, kvHeads: inputs.kvHeads, headDim: d)
        let llm = LLMWorkload(rope: spec.ropeSettings)
        plans = (0..<heads).map { llm.queryPlan(head: $0, shape: shape, seed: spec.seed) }
        let stripes = (0..<inputs.kvHeads).map { g in
            let plan = llm.keyPlan(kvHead: g, shape: shape, seed: spec.seed)
            return Set((0..<n).filter { plan.stripeStrength(row: $0) > 0 })
        }
        let sinks = LLMWorkloadParameters().sinkCount
        let segments = llm.topicSegments(seed: spec.seed)
        let rows = Array(stride(from: 256, to: n, by: 29))
        let ref = try Reference.compute(inputs, rows: rows, threads: 2)
        let scale = 1 / Double(d).squareRoot()
        perHeadWindowMass = [Double](repeating: 0, count: heads)
        var tallies = [Tally](repeating: Tally(), count: 5)
        inputs.q.data.withUnsafeBufferPointer { q in
        inputs.k.data.withUnsafeBufferPointer { k in
            for h in 0..<heads {
                let kv = h / inputs.groupSize
                for (idx, i) in rows.enumerated() {
                    let lse = ref.logSumExp[h * rows.count + idx]
                    let qi = q.baseAddress! + (h * n + i) * d
                    func p(_ j: Int) -> Double {
                        let kj = k.baseAddress! + (kv * n + j) * d
                        var s = 0.0
                        for c in 0..<d { s += Double(qi[c]) * Double(kj[c]) }
                        return exp(s * scale - lse)
                    }
                    let start = max(sinks, i - AttentionStructure.window + 1)
                    let stripeKeys = stripes[kv].filter { $0 < start }
                    var slashKeys = Set<Int>()
                    for delta in plans[h].slashOffsets where delta > AttentionStructure.window + 2 && i - delta - 2 >= sinks {
                        for j in (i - delta - 2)...(i - delta + 2) where !stripeKeys.contains(j) { slashKeys.insert(j) }
                    }
                    var topicKeys: [Int] = []
                    if plans[h].kind == .topic {
                        let t = segments.topic(at: i)
                        topicKeys = (sinks..<start).filter {
                            segments.topic(at: $0) == t && !stripeKeys.contains($0) && !slashKeys.contains($0)
                        }
                    }
                    let classes = [Array(0..<min(sinks, i + 1)), Array(start...i), Array(stripeKeys), Array(slashKeys), topicKeys]
                    let masses = classes.map { $0.reduce(0) { $0 + p($1) } }
                    let ordinaryKeys = Double(i + 1 - classes.reduce(0) { $0 + $1.count })
                    let perOrdinaryKey = (1 - masses.reduce(0, +)) / ordinaryKeys
                    for c in classes.indices {
                        tallies[c].mass += masses[c]
                        // Sinks and window against the uniform share, the others against
                        // ordinary keys, when there are keys to compare.
                        let uniform = c < 2
                        guard !classes[c].isEmpty, uniform || ordinaryKeys >= 32 else { continue }
                        let perKey = masses[c] / Double(classes[c].count)
                        tallies[c].lifts.append(perKey / (uniform ? 1 / Double(i + 1) : perOrdinaryKey))
                    }
                    perHeadWindowMass[h] += masses[1] / Double(rows.count)
                }
            }
        }}
        let shares = tallies.map { $0.share(rows: heads * rows.count) }
        (sink, window, stripe, slash, topic) = (shares[0], shares[1], shares[2], shares[3], shares[4])
        entropy = AttentionStructure.meanEntropy(inputs, reference: ref, rows: 12)
    }

    /// Mean over heads and the last `rows` checked rows of the softmax entropy in nats,
    /// from the reference's log-sum-exp: H = lse − Σ_j p_j·s_j.
    static func meanEntropy(_ inputs: AttentionInputs, reference ref: Reference, rows: Int) -> Double {
        let n = inputs.seq, d = inputs.headDim, scale = 1 / Double(d).squareRoot()
        let picked = Array(ref.rows.indices.suffix(rows))
        var total = 0.0
        inputs.q.data.withUnsafeBufferPointer { q in
        inputs.k.data.withUnsafeBufferPointer { k in
            for h in 0..<inputs.heads {
                let kv = h / inputs.groupSize
                for idx in picked {
                    let i = ref.rows[idx], lse = ref.logSumExp[h * ref.rows.count + idx]
                    let qi = q.baseAddress! + (h * n + i) * d
                    var expected = 0.0
                    for j in 0...i {
                        let kj = k.baseAddress! + (kv * n + j) * d
                        var s = 0.0
                        for c in 0..<d { s += Double(qi[c]) * Double(kj[c]) }
                        s *= scale
                        expected += exp(s - lse) * s
                    }
                    total += lse - expected
                }
            }
        }}
        return total / Double(inputs.heads * picked.count)
    }
}
