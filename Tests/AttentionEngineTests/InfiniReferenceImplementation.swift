import AttentionEngine
import Foundation
import TestSupport

/// Infini-attention written straight from the paper's equations, in Double, one query row
/// and one key at a time, sharing no code with the engine's implementation:
///
///     for each segment s (rows c_s ..< c_s + T):
///         A_dot(i) = Σ_j softmax_j(q_i·k_j/√d) v_j     over the segment's keys j ≤ i (all if not causal)
///         A_mem(i) = σ(q̃_i) M / (σ(q̃_i) z + eps)     (q̃, k̃ = unrotated content)
///         out(i)   = w·A_mem(i) + (1 − w)·A_dot(i)
///         then, with every retrieval done on the old M, for each key t of the segment:
///         M += σ(k̃_t)ᵀ (v_t − [delta] σ(k̃_t) M_old / (σ(k̃_t) z_old + eps)),   z += σ(k̃_t)
///
/// Returns [heads][seq][dim] flattened.
func infiniByTheEquations(_ inputs: AttentionInputs, segment: Int, delta: Bool, weight: Double, eps: Double) -> [Double] {
    let n = inputs.seq, d = inputs.headDim, h = inputs.heads, group = inputs.groupSize
    func sigma(_ x: Float) -> Double { x > 0 ? Double(x) + 1 : Foundation.exp(Double(x)) }
    func row(_ t: HeadTensor, _ head: Int, _ i: Int) -> [Double] { t.row(head: head, i).map(Double.init) }
    var out = [Double](repeating: 0, count: h * n * d)
    for kvh in 0..<inputs.kvHeads {
        var m = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        var z = [Double](repeating: 0, count: d)
        func retrieve(_ s: [Double]) -> [Double] {
            let den = zip(s, z).map(*).reduce(0, +) + eps
            return (0..<d).map { c in (0..<d).map { s[$0] * m[$0][c] }.reduce(0, +) / den }
        }
        for c0 in stride(from: 0, to: n, by: segment) {
            let c1 = min(c0 + segment, n)
            for head in kvh * group..<(kvh + 1) * group {
                for i in c0..<c1 {
                    let q = row(inputs.q, head, i)
                    let last = inputs.causal ? i : c1 - 1
                    let scores = (c0...last).map { j in zip(q, row(inputs.k, kvh, j)).map(*).reduce(0, +) / Double(d).squareRoot() }
                    let mx = scores.max()!
                    let p = scores.map { Foundation.exp($0 - mx) }
                    let sum = p.reduce(0, +)
                    var local = [Double](repeating: 0, count: d)
                    for (idx, j) in (c0...last).enumerated() {
                        let v = row(inputs.v, kvh, j)
                        for c in 0..<d { local[c] += p[idx] / sum * v[c] }
                    }
                    let mem = retrieve(inputs.qContent.row(head: head, i).map(sigma))
                    for c in 0..<d { out[(head * n + i) * d + c] = weight * mem[c] + (1 - weight) * local[c] }
                }
            }
            let keys = (c0..<c1).map { inputs.kContent.row(head: kvh, $0).map(sigma) }
            let written = (c0..<c1).enumerated().map { t, j in
                let v = row(inputs.v, kvh, j)
                return delta ? zip(v, retrieve(keys[t])).map(-) : v
            }
            for t in keys.indices {
                for a in 0..<d {
                    z[a] += keys[t][a]
                    for c in 0..<d { m[a][c] += keys[t][a] * written[t][c] }
                }
            }
        }
    }
    return out
}

/// Inputs whose q/k are rotated by standard RoPE while qContent/kContent keep the content,
/// so a test can tell which path reads which.
func ropeInputs(seq: Int, heads: Int, kvHeads: Int, dim: Int, causal: Bool = true, seed: UInt64 = 11) -> AttentionInputs {
    let content = randomInputs(seq: seq, heads: heads, kvHeads: kvHeads, dim: dim, causal: causal, seed: seed)
    let rope = RotaryEmbedding(standard: .standard, headDim: dim)
    return AttentionInputs(q: rope.rotated(content.q, threads: 2), k: rope.rotated(content.k, threads: 2), v: content.v,
                           causal: causal, qContent: content.q, kContent: content.k, rope: .standard)
}

/// ‖a − b‖₂ / ‖b‖₂, or ‖a‖₂ when b is all zeros.
func relativeL2(_ a: [Float], _ b: [Double]) -> Double {
    var e = 0.0, r = 0.0
    for (x, y) in zip(a, b) { e += (Double(x) - y) * (Double(x) - y); r += y * y }
    return (r > 0 ? e / r : e).squareRoot()
}
