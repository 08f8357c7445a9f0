import Foundation

/// Attention of sampled query rows over the keys inside the model's original window, computed
/// from content Q/K (before any rotation) under any rotary encoding and compared with
/// standard RoPE's. It is the `local_fidelity` metric and the fidelity half of the search's
/// proxy objective.
///
/// For a sampled query row i and a key j of its window (causal: i − L < j ≤ i; otherwise
/// |i − j| < L), with pair i's dims (a, b), position angles φ and gains g (the attention
/// factor, 1 below n̂):
///
///     s_ij = g_i·g_j/√d · Σ_pairs [ (q_a·k_a + q_b·k_b)·cos(φ_j − φ_i) + (q_b·k_a − q_a·k_b)·sin(φ_j − φ_i) ]
///            (+ g_i·g_j·q_last·k_last/√d for an odd head dim)
///
/// which equals ⟨R(φ_i)q, R(φ_j)k⟩/√d but needs only the angle difference, (j − i)·θ beyond
/// n̂, read from one cos/sin table per encoding. p = softmax of s over the window, and
///
///     distance = mean over sampled rows of ½ Σ_j |p_j − p_std,j|   ∈ [0, 1]
///
/// the share of local attention mass the encoding moves relative to standard RoPE;
/// `local_fidelity = 1 − distance`. Nothing N×N: one window of scores per worker.
public struct LocalAttentionWindow: Sendable {
    /// One sampled query: its head and position.
    public struct Sample: Sendable, Equatable {
        public var head: Int
        public var row: Int
    }

    /// L: keys within this distance of the query are its window.
    public let window: Int
    public let causal: Bool
    public let samples: [Sample]
    let queries: HeadTensor
    let keys: HeadTensor
    let standard: RotaryEmbedding
    /// Standard RoPE's window probabilities per sample.
    private(set) var baseline: [[Double]] = []

    /// Samples `rowsPerHead` rows of every query head of `content`, evenly spaced from
    /// `firstRow` (clamped into the sequence) to the last row, both included, and computes
    /// their standard-RoPE attention once.
    public init(content inputs: AttentionInputs, window: Int, rowsPerHead: Int, firstRow: Int = 0,
                standard: RotaryEmbedding, threads: Int) {
        self.window = max(1, window)
        causal = inputs.causal
        queries = inputs.qContent
        keys = inputs.kContent
        self.standard = standard
        let first = min(max(firstRow, 0), inputs.seq - 1)
        let rows = ReferenceRows.count(rowsPerHead).rows(seq: inputs.seq - first).map { $0 + first }
        samples = (0..<inputs.heads).flatMap { h in rows.map { Sample(head: h, row: $0) } }
        baseline = probabilities(standard, threads: threads)
    }

    /// Keys of sample row i's window.
    func keyRange(_ i: Int) -> Range<Int> {
        let lo = max(0, i - window + 1)
        return lo..<(causal ? i + 1 : min(keys.seq, i + window))
    }

    /// Mean total-variation distance of `encoding`'s local attention from standard RoPE's.
    public func distance(to encoding: RotaryEmbedding, threads: Int) -> Double {
        let table = AngleTable(encoding, span: window)
        var tv = [Double](repeating: 0, count: samples.count)
        tv.withUnsafeMutableBufferPointer { out in
            let o = SharedPointer(out.baseAddress!)
            ParallelFor.run(count: samples.count, threads: threads) { n in
                let p = windowProbabilities(samples[n], encoding, table)
                var sum = 0.0
                for (x, y) in zip(p, baseline[n]) { sum += abs(x - y) }
                o.base[n] = sum / 2
            }
        }
        return tv.isEmpty ? 0 : tv.reduce(0, +) / Double(tv.count)
    }

    /// 1 − distance: how much of the local attention standard RoPE would give survives.
    public func fidelity(of encoding: RotaryEmbedding, threads: Int) -> Double { 1 - distance(to: encoding, threads: threads) }

    func probabilities(_ encoding: RotaryEmbedding, threads: Int) -> [[Double]] {
        let table = AngleTable(encoding, span: window)
        let result = ResultSlots<[Double]>(count: samples.count)
        ParallelFor.run(count: samples.count, threads: threads) { n in
            result.set(n, windowProbabilities(samples[n], encoding, table))
        }
        return result.values
    }

    /// softmax over the sample's window of the scores above.
    func windowProbabilities(_ sample: Sample, _ e: RotaryEmbedding, _ table: AngleTable) -> [Double] {
        let d = queries.dim, pairs = e.invFreq.count, seq = queries.seq
        let i = sample.row
        let range = keyRange(i)
        let kvh = sample.head / (queries.heads / keys.heads)
        let scale = 1 / Double(d).squareRoot()
        let q = UnsafeMutablePointer<Float>.allocate(capacity: 2 * pairs)
        defer { q.deallocate() }
        let qOffset = queries.offset(head: sample.head, row: i)
        for p in 0..<pairs {
            let (a, b) = e.dimensions(pair: p, dim: d)
            q[p] = queries.data[qOffset + a]
            q[pairs + p] = queries.data[qOffset + b]
        }
        let qLast = d % 2 == 1 ? Double(queries.data[qOffset + d - 1]) : 0
        var scores = [Double](repeating: 0, count: range.count)
        keys.data.withUnsafeBufferPointer { kb in
            let kBase = kb.baseAddress! + kvh * seq * d
            for (n, j) in range.enumerated() {
                let k = kBase + j * d
                var s: Double
                if i < e.prefixPositions || j < e.prefixPositions {
                    s = directDot(q, k, e, query: i, key: j, dim: d)
                } else {
                    s = Double(table.dot(q, k, offset: j - i, half: e.style == .half, dim: d))
                }
                if d % 2 == 1 { s += qLast * Double(k[d - 1]) }
                scores[n] = s * e.gain(position: i) * e.gain(position: j) * scale
            }
        }
        let mx = scores.max() ?? 0
        var total = 0.0
        for n in scores.indices { scores[n] = exp(scores[n] - mx); total += scores[n] }
        for n in scores.indices { scores[n] /= total }
        return scores
    }

    /// The pair sum with angles computed directly (rows or keys below n̂). `q` holds the
    /// query's a-dims then its b-dims.
    func directDot(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ e: RotaryEmbedding,
                   query i: Int, key j: Int, dim d: Int) -> Double {
        let pairs = e.invFreq.count
        var s = 0.0
        for p in 0..<pairs {
            let (a, b) = e.dimensions(pair: p, dim: d)
            let delta = e.angle(position: j, pair: p) - e.angle(position: i, pair: p)
            let ka = Double(k[a]), kb = Double(k[b]), x = Double(q[p]), y = Double(q[pairs + p])
            s += (x * ka + y * kb) * cos(delta) + (y * ka - x * kb) * sin(delta)
        }
        return s
    }
}

/// cos and sin of δ·θ_p for every relative offset 0 ≤ δ < span and pair p, as Float, laid
/// out [δ][p]. Built by rotating (cos θ, sin θ) step by step in Double and re-anchoring with
/// exact cos/sin every 64 steps, so it costs a few multiplies per entry. Immutable after init.
final class AngleTable: @unchecked Sendable {
    let span: Int
    let pairs: Int
    private let cosines: UnsafeMutablePointer<Float>
    private let sines: UnsafeMutablePointer<Float>

    init(_ e: RotaryEmbedding, span: Int) {
        self.span = span
        pairs = e.invFreq.count
        cosines = .allocate(capacity: max(1, span * pairs))
        sines = .allocate(capacity: max(1, span * pairs))
        for p in 0..<pairs {
            let theta = e.invFreq[p]
            let (c1, s1) = (cos(theta), sin(theta))
            var (x, y) = (1.0, 0.0)
            for delta in 0..<span {
                if delta % 64 == 0 { (x, y) = (cos(Double(delta) * theta), sin(Double(delta) * theta)) }
                cosines[delta * pairs + p] = Float(x)
                sines[delta * pairs + p] = Float(y)
                (x, y) = (x * c1 - y * s1, x * s1 + y * c1)
            }
        }
    }

    deinit {
        cosines.deallocate()
        sines.deallocate()
    }

    /// Σ_p (q_a·k_a + q_b·k_b)·cos(δθ_p) + (q_b·k_a − q_a·k_b)·sin(δθ_p) for |δ| < span, with
    /// `q` = the query's a-dims then its b-dims. sin is odd, so a negative offset reads the
    /// positive row and negates the sine part.
    @inline(__always)
    func dot(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, offset delta: Int, half: Bool, dim: Int) -> Float {
        let cp = cosines + abs(delta) * pairs, sp = sines + abs(delta) * pairs
        let qb = q + pairs
        var accC: Float = 0, accS: Float = 0
        if half {
            let kb = k + dim / 2
            for p in 0..<pairs {
                let x = q[p], y = qb[p], ka = k[p], kbv = kb[p]
                accC += cp[p] * (x * ka + y * kbv)
                accS += sp[p] * (y * ka - x * kbv)
            }
        } else {
            for p in 0..<pairs {
                let x = q[p], y = qb[p], ka = k[2 * p], kbv = k[2 * p + 1]
                accC += cp[p] * (x * ka + y * kbv)
                accS += sp[p] * (y * ka - x * kbv)
            }
        }
        return delta < 0 ? accC - accS : accC + accS
    }
}
