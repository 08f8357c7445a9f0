/// One head's MInference pattern with its sizes (arXiv 2407.02490 §3.1). The pattern says
/// which shape of attention the head is assumed to have; the index (which columns,
/// diagonals or blocks) is then estimated online from the head's own Q and K.
public enum SparsePattern: Sendable, Equatable, Hashable {
    /// The first `sink` keys plus a causal window of the last `local` keys (StreamingLLM's
    /// "A-shape"); static, nothing to estimate. MInference's defaults: 128 and 3968.
    case aShape(sink: Int, local: Int)
    /// `vertical` key columns plus `slash` diagonals, estimated from the last queries.
    /// MInference's default: (1000, 6096).
    case verticalSlash(vertical: Int, slash: Int)
    /// `topK` key blocks per query block, estimated from mean-pooled Q and K.
    case blockSparse(topK: Int)

    /// Pattern names in MInference's per-head config files.
    public enum ConfigName: String, CaseIterable, Sendable {
        case verticalAndSlash = "vertical_and_slash"
        case streamLLM = "stream_llm"
        case blockSparse = "block_sparse"
    }

    /// MInference's config entry `[name, v, s]`: A-shape stores (n_init, n_local), block-sparse
    /// stores its block count in `v` (MInference's reader ignores both numbers for it).
    public var configEntry: (name: ConfigName, v: Int, s: Int) {
        switch self {
        case .aShape(let sink, let local): (.streamLLM, sink, local)
        case .verticalSlash(let v, let s): (.verticalAndSlash, v, s)
        case .blockSparse(let k): (.blockSparse, k, 0)
        }
    }

    /// The sizes this pattern runs with at sequence length `seq` and query blocks of `block`
    /// rows, after MInference's clamps: v ∈ [30, N], s ∈ [50, N], top-k ∈ [1, ⌈N/block⌉].
    /// A-shape needs none (a sink or window past N simply covers every key). The `pattern`
    /// column shows these, so a config's `vs(0,0)` reads as the `vs(30,50)` that ran.
    public func clamped(seq: Int, block: Int) -> SparsePattern {
        switch self {
        case .aShape:
            return self
        case .verticalSlash(let v, let s):
            let sizes = VerticalSlashEstimate.clamped(vertical: v, slash: s, seq: seq)
            return .verticalSlash(vertical: sizes.v, slash: sizes.s)
        case .blockSparse(let k):
            return .blockSparse(topK: BlockSparseEstimator.clamped(topK: k, seq: seq, block: block))
        }
    }

    /// Short text for the per-head `pattern` column: `a-shape(128,3968)`, `vs(1000,6096)`, `bs(100)`.
    public var label: String {
        switch self {
        case .aShape(let sink, let local): "a-shape(\(sink),\(local))"
        case .verticalSlash(let v, let s): "vs(\(v),\(s))"
        case .blockSparse(let k): "bs(\(k))"
        }
    }

    /// Reads back a `label`; nil if the text is not one.
    public init?(label: String) {
        guard let open = label.firstIndex(of: "("), label.hasSuffix(")") else { return nil }
        let name = label[..<open]
        let numbers = label[label.index(after: open)..<label.index(before: label.endIndex)]
            .split(separator: ",").map { Int($0) }
        guard !numbers.contains(nil) else { return nil }
        let n = numbers.map { $0! }
        switch (name, n.count) {
        case ("a-shape", 2): self = .aShape(sink: n[0], local: n[1])
        case ("vs", 2): self = .verticalSlash(vertical: n[0], slash: n[1])
        case ("bs", 1): self = .blockSparse(topK: n[0])
        default: return nil
        }
    }
}
