/// Infini-attention's associative memory, one per kv head (GQA: the query heads of a group
/// read the same memory): a matrix M (d_k × d_v) and a normaliser z (d_k), float32,
///
///     read:   A = σ(X) M / (σ(X) z + eps)          X = queries (or keys, for the delta rule)
///     write:  M ← M + σ(K)ᵀ U,   z ← z + Σ_t σ(K_t) U = V (linear) or V − read(K) (delta)
///
/// with σ(x) = ELU(x) + 1 (x + 1 above 0, eˣ below), applied elementwise so σ > 0 and
/// σ(X) z > 0 once anything was written. Its size is d_k·(d_v + 1) numbers per kv head
/// whatever the sequence length. Rows and columns are stored zero-padded to a multiple of
/// 16 (`stride`) so the SIMD products need no tails; the padding never reaches a result.
///
/// FLOPs are counted as 2 per multiply-add of the products (σ, the division and the
/// subtraction of the delta rule are elementwise and not counted, like softmax in attention).
final class CompressiveMemory: @unchecked Sendable {
    let heads: Int
    let dim: Int
    /// Padded row length of M, z and every σ buffer handed in.
    let stride: Int
    /// [heads][stride][stride]; rows and columns ≥ dim stay zero.
    private let mBuffer: FloatBuffer
    /// [heads][stride]
    private let zBuffer: FloatBuffer
    private var m: UnsafeMutablePointer<Float> { mBuffer.shared.base }
    private var z: UnsafeMutablePointer<Float> { zBuffer.shared.base }
    /// False until the first write: reads before it are exactly zero and are skipped.
    private(set) var isWritten = false

    init(heads: Int, dim: Int) {
        self.heads = heads
        self.dim = dim
        stride = Self.stride(dim: dim)
        mBuffer = FloatBuffer(count: heads * stride * stride)
        zBuffer = FloatBuffer(count: heads * stride)
    }

    /// Row length of M: d rounded up to 16 lanes.
    static func stride(dim: Int) -> Int { (dim + 15) / 16 * 16 }

    /// What M and z occupy, padding included.
    static func bufferBytes(heads: Int, dim: Int) -> Int {
        heads * stride(dim: dim) * (stride(dim: dim) + 1) * MemoryLayout<Float>.size
    }

    /// The state's size as the paper counts it: d·(d + 1) float32 numbers per kv head.
    var stateBytes: Int { heads * dim * (dim + 1) * MemoryLayout<Float>.size }

    /// σ(x) = ELU(x) + 1 of `rows` rows of `source` (stride `dim`) into `target` (stride
    /// `stride`, padding columns set to zero), 16 lanes at a time.
    func activate(_ source: UnsafePointer<Float>, rows: Int, into target: UnsafeMutablePointer<Float>) {
        let lane = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        for r in 0..<rows {
            let dst = target + r * stride
            dst.update(from: source + r * dim, count: dim)
            (dst + dim).update(repeating: 0, count: stride - dim)
            for c in Swift.stride(from: 0, to: stride, by: 16) {
                let x = load(dst + c)
                var y = fastExp(x)
                y.replace(with: x + 1, where: x .> 0)
                y.replace(with: 0, where: lane .>= Float(dim - c))
                store(y, dst + c)
            }
        }
    }

    /// A = σ(X) M / (σ(X) z + eps) for `rows` activated rows `sigma` (stride `stride`) into
    /// `out` (stride `stride`). Returns the FLOPs: 2·d·(d + 1) per row.
    @discardableResult
    func read(head: Int, sigma: UnsafePointer<Float>, rows: Int, eps: Float, into out: UnsafeMutablePointer<Float>) -> Int {
        let mh = m + head * stride * stride, zh = z + head * stride
        MicroKernels.multiply(a: sigma, lda: stride, b: mh, ldb: stride, c: out, ldc: stride, m: rows, k: dim, n: stride, accumulate: false)
        for r in 0..<rows {
            let s = sigma + r * stride
            var den: Float = 0
            for c in 0..<dim { den += s[c] * zh[c] }
            let inv = 1 / (den + eps)
            let o = out + r * stride
            for c in 0..<dim { o[c] *= inv }
        }
        return rows * 2 * dim * (dim + 1)
    }

    /// Writes rows `block` of M and z of one head: M[block] += σ(K)ᵀ[block] · U and
    /// z[block] += row sums of σ(K)ᵀ[block], where `sigmaT` is σ(K)ᵀ ([stride][keys], leading
    /// dimension `ldt`) and `update` is U ([keys][stride]). Different blocks may be written by
    /// different threads at once. Returns the FLOPs: 2·d per (row of M, key) plus 1 per
    /// element added into z.
    @discardableResult
    func write(head: Int, block: Range<Int>, sigmaT: UnsafePointer<Float>, ldt: Int,
               update: UnsafePointer<Float>, keys: Int) -> Int {
        let mh = m + head * stride * stride, zh = z + head * stride
        MicroKernels.multiply(a: sigmaT + block.lowerBound * ldt, lda: ldt, b: update, ldb: stride,
                              c: mh + block.lowerBound * stride, ldc: stride, m: block.count, k: keys, n: stride, accumulate: true)
        for c in block {
            let row = sigmaT + c * ldt
            var sum: Float = 0
            for t in 0..<keys { sum += row[t] }
            zh[c] += sum
        }
        return block.count * keys * (2 * dim + 1)
    }

    /// Marks the memory as holding at least one segment (call after a segment's writes).
    func markWritten() { isWritten = true }
}
