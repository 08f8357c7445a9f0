/// The synthetic input generators. Each is deterministic in the seed, and every row of
/// every tensor comes from its own random stream (seed, tensor, head, row), so any row can
/// be regenerated alone: long runs can be streamed segment by segment, and the reference
/// can rebuild exactly the rows it samples.
public enum WorkloadKind: String, NamedChoice, Sendable {
    /// iid N(0, 1) entries.
    case random
    /// N(0,1) plus N(0,100)·Bernoulli(0.001) per entry: FlashAttention-3's numerical-error setup.
    case outliers
    /// Structure of real long-context heads (sinks, local window, stripes, slash lines,
    /// topic blocks), written as content for the RoPE stage to rotate: `LLMWorkload`.
    case llm
    /// `llm` plus a planted key/value pair the last queries retrieve: `NeedleWorkload`.
    case needle

    /// LLM-like content is written before RoPE and rotated by the positional stage.
    public var defaultRope: RopeSettings.Mode {
        switch self {
        case .random, .outliers: .none
        case .llm, .needle: .standard
        }
    }

    /// The generator, with LLM-like content written for standard RoPE (base 10000, half pairs).
    public var generator: any WorkloadGenerator { generator(rope: .standard) }

    /// The generator, with LLM-like content written for a positional stage of `rope`'s base
    /// and pairing style (its mode does not matter: `--rope none` uses the same content).
    public func generator(rope: RopeSettings) -> any WorkloadGenerator {
        switch self {
        case .random: GaussianWorkload(outlierProbability: 0)
        case .outliers: GaussianWorkload(outlierProbability: 0.001)
        case .llm: LLMWorkload(rope: rope)
        case .needle: NeedleWorkload(llm: LLMWorkload(rope: rope))
        }
    }
}

/// Which of the three input tensors a row belongs to; part of every row's random stream.
public enum QKV: UInt64, Sendable, CaseIterable { case q = 1, k = 2, v = 3 }

/// Fills rows of Q, K or V content (before the positional stage).
public protocol WorkloadGenerator: Sendable {
    /// Writes rows `rows` of head `head` of tensor `which` into `out` (rows.count × dim floats).
    func fill(_ which: QKV, head: Int, rows: Range<Int>, shape: AttentionShape, seed: UInt64,
              into out: UnsafeMutablePointer<Float>)
    /// Facts about what was generated (e.g. the needle's position).
    func annotations(shape: AttentionShape, seed: UInt64) -> WorkloadAnnotations
}

extension WorkloadGenerator {
    public func annotations(shape: AttentionShape, seed: UInt64) -> WorkloadAnnotations { .init() }

    /// Generates the whole of one tensor, blocks of rows of every head in parallel.
    public func tensor(_ which: QKV, shape: AttentionShape, seed: UInt64, threads: Int) -> HeadTensor {
        let heads = which == .q ? shape.heads : shape.kvHeads
        var t = HeadTensor(heads: heads, seq: shape.seq, dim: shape.headDim)
        let block = 4096
        let blocks = (shape.seq + block - 1) / block
        let (seq, dim) = (shape.seq, shape.headDim)
        t.withSharedPointer { out in
            ParallelFor.run(count: heads * blocks, threads: threads) { item in
                let h = item / blocks, r0 = (item % blocks) * block
                let rows = r0..<min(seq, r0 + block)
                fill(which, head: h, rows: rows, shape: shape, seed: seed, into: out.base + (h * seq + r0) * dim)
            }
        }
        return t
    }
}

/// The shape of one attention problem.
public struct AttentionShape: Sendable, Equatable {
    public var seq: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public init(seq: Int, heads: Int, kvHeads: Int, headDim: Int) {
        self.seq = seq; self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
    }
}
