/// K and V of every kv head, transposed into overlapping chunks so that any 16 consecutive
/// keys, for one head dimension, are one contiguous SIMD16 load: what an exact-diagonal
/// kernel needs, whose 16 lanes (query rows i … i+15) read keys i−o … i+15−o on one diagonal.
///
/// Positions are keys shifted by 16 (p = key + 16, so keys −16 … −1 exist as zeros for lanes
/// whose row precedes the diagonal). Chunk c holds positions 16c … 16c+31 for each dimension:
///
///     chunk[c][dim][t] = X[16c + t − 16][dim],   t = 0 ..< 32 (zero outside 0 ..< N)
///
/// so the 16 keys starting at position p sit at chunk p/16, lane offset p % 16, and one chunk
/// (dim · 128 bytes) is contiguous: few pages per diagonal, unlike a plain N-long transpose.
/// Costs 4× the memory of K and V (2× for the transpose overlap, for each of K and V).
final class SlidingTransposedKeys: @unchecked Sendable {
    static let shift = 16
    static let width = 32
    let seq: Int
    let dim: Int
    let chunks: Int
    let kvHeads: Int
    /// Floats per head: chunks · dim · 32.
    let perHead: Int
    let k: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>

    /// Lays out `kvHeads` heads of K and V (row-major [head][seq][dim]) with `threads` workers.
    init(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, kvHeads: Int, seq: Int, dim: Int, threads: Int) {
        self.seq = seq
        self.dim = dim
        chunks = Self.chunkCount(seq: seq)
        self.kvHeads = kvHeads
        perHead = chunks * dim * Self.width
        let perHead = perHead
        k = .allocate(capacity: kvHeads * perHead)
        v = .allocate(capacity: kvHeads * perHead)
        let (ks, vs) = (SharedPointer(k), SharedPointer(v))
        let (kIn, vIn) = (SharedReadPointer(keys), SharedReadPointer(values))
        let (n, d, chunks) = (seq, dim, chunks)
        ParallelFor.run(count: kvHeads * chunks, threads: threads) { item in
            let head = item / chunks, c = item % chunks
            for (src, dst) in [(kIn.base, ks.base), (vIn.base, vs.base)] {
                let out = dst + head * perHead + c * d * Self.width
                for t in 0..<Self.width {
                    let key = 16 * c + t - Self.shift
                    if key < 0 || key >= n {
                        for j in 0..<d { out[j * Self.width + t] = 0 }
                    } else {
                        let row = src + (head * n + key) * d
                        for j in 0..<d { out[j * Self.width + t] = row[j] }
                    }
                }
            }
        }
    }

    deinit {
        k.deallocate()
        v.deallocate()
    }

    /// Bytes held (K and V), as allocated.
    var bytes: Int { 2 * MemoryLayout<Float>.size * kvHeads * perHead }

    /// Bytes the layout of `kvHeads` heads of K and V would hold: checked before building it.
    static func bytes(kvHeads: Int, seq: Int, dim: Int) -> Int {
        2 * MemoryLayout<Float>.size * kvHeads * chunkCount(seq: seq) * dim * width
    }

    /// Chunks per head: loads start at positions up to N + 30 and read 16 floats.
    private static func chunkCount(seq: Int) -> Int { (seq + 2 * shift) / 16 + 1 }

    /// Float offset of the 16 keys key0 … key0+15 (key0 ≥ −16) of kv head `head`, dimension 0;
    /// dimension j is `width·j` further on.
    @inline(__always)
    func offset(head: Int, firstKey key0: Int) -> Int {
        let p = key0 + Self.shift
        return head * perHead + (p >> 4) * dim * Self.width + (p & 15)
    }
}
