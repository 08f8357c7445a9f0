/// Where a Q, K or V array's values sit in its file and what they are: [N, D] (one head) or
/// [H, N, D], stored as `format` from byte `payload`. Shared by the .npy and .safetensors
/// readers, so both apply the same shape rules.
struct TensorLayout: Equatable {
    var rank, heads, seq, dim: Int
    var format: StoredFloat
    var payload: Int
    var count: Int { heads * seq * dim }
    var bytes: Int { count * format.width }

    /// Checks a shape a file states before anything trusts it: 2 or 3 dimensions, none
    /// empty, and a byte count that neither overflows nor exceeds the `available` bytes.
    init(shape: [Int], format: StoredFloat, payload: Int, available: Int, fail: (String) -> EngineError) throws {
        guard (2...3).contains(shape.count) else {
            throw fail("shape \(TensorLayout.text(shape)) has \(shape.count) dimensions; expected [N, D] or [H, N, D]")
        }
        let (heads, seq, dim) = shape.count == 2 ? (1, shape[0], shape[1]) : (shape[0], shape[1], shape[2])
        guard heads > 0, seq > 0, dim > 0 else { throw fail("shape \(TensorLayout.text(shape)) is empty") }
        // A header may claim any shape: multiply with overflow checks before trusting it.
        let (rows, o1) = heads.multipliedReportingOverflow(by: seq)
        let (count, o2) = rows.multipliedReportingOverflow(by: dim)
        let (needed, o3) = count.multipliedReportingOverflow(by: format.width)
        guard !(o1 || o2 || o3) else { throw fail("shape \(TensorLayout.text(shape)) is too large to be a real array") }
        guard available >= needed else {
            throw fail("truncated data: shape \(TensorLayout.text(shape)) needs \(needed) bytes, file has \(available)")
        }
        self.init(rank: shape.count, heads: heads, seq: seq, dim: dim, format: format, payload: payload)
    }

    init(rank: Int, heads: Int, seq: Int, dim: Int, format: StoredFloat, payload: Int) {
        (self.rank, self.heads, self.seq, self.dim, self.format, self.payload) = (rank, heads, seq, dim, format, payload)
    }

    /// [H, N, D] with `kvHeads` = H, for checking memory before a read.
    var shape: AttentionShape { AttentionShape(seq: seq, heads: heads, kvHeads: heads, headDim: dim) }

    static func text(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
}
