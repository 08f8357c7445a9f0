/// FLOP conventions shared by every method (FlashAttention's): one multiply-add is 2 FLOPs,
/// Q·Kᵀ and P·V each cost 2·d per (query, key) entry, so one entry costs 4·d. Softmax,
/// masking and rescaling are not counted.
public enum FlopCount {
    /// FLOPs of one computed (query, key) entry at head dim `d`.
    @inline(__always)
    public static func perEntry(headDim d: Int) -> Int { 4 * d }

    /// Dense attention: 4·N²·d·H, or for causal only the lower triangle including the
    /// diagonal, 4·d·H·N(N+1)/2.
    public static func dense(seq n: Int, headDim d: Int, heads h: Int, causal: Bool) -> Int {
        perEntry(headDim: d) * allowedEntries(seq: n, heads: h, causal: causal)
    }

    /// (query, key) entries the mask allows over every head: H·N(N+1)/2 causal, H·N² not.
    /// Exact kernels report progress as their share of these, so it follows their time.
    public static func allowedEntries(seq n: Int, heads h: Int, causal: Bool) -> Int {
        h * (causal ? n * (n + 1) / 2 : n * n)
    }

    /// Entries a query row may attend to.
    @inline(__always)
    public static func allowedKeys(row: Int, seq: Int, causal: Bool) -> Int { causal ? row + 1 : seq }

    /// Exact attention of the given query rows only (every head): 4·d·H·Σ allowed keys.
    public static func dense(rows: [Int], seq n: Int, headDim d: Int, heads h: Int, causal: Bool) -> Int {
        4 * d * h * rows.reduce(0) { $0 + allowedKeys(row: $1, seq: n, causal: causal) }
    }
}
