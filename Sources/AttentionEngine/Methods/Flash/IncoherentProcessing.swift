/// FlashAttention-3's incoherent processing (§3.3): Q and K are both multiplied by the same
/// random orthogonal matrix M before they are quantised. Since M·Mᵀ = I,
///
///     (Q·M)·(K·M)ᵀ = Q·M·Mᵀ·Kᵀ = Q·Kᵀ,
///
/// so exact attention is unchanged, but an outlier entry of a row is spread over many
/// entries, which shrinks the row's amax and the FP8 rounding error it causes.
///
///     M = D · Ĥ,   D = diag(random ±1),   Ĥ = block-diagonal normalised Hadamard
///
/// x·D flips signs; x·Ĥ is the fast Walsh–Hadamard transform on each block followed by
/// 1/√b (b = block size), O(d log d) per row. A Sylvester Hadamard matrix exists only for
/// powers of two, so a head dim d that is not one is split into power-of-two blocks along
/// its binary expansion, largest first (d = 96 → 64 + 32, d = 40 → 32 + 8, d = 33 → 32 + 1).
/// Each block is orthogonal, so M is; an outlier is then only spread within its block
/// (a block of size 1 only gets its sign flipped). The signs come from the run's seed, so a
/// preset reproduces the same M.
public struct IncoherentTransform: Sendable {
    public let dim: Int
    /// The ±1 diagonal of D.
    public let signs: [Float]
    /// The diagonal blocks of Ĥ, each a power of two long, covering 0..<dim in order.
    public let blocks: [Range<Int>]

    public init(dim: Int, seed: UInt64) {
        self.dim = dim
        var rng = SeededGenerator(seed: seed, stream: 0x4841_4441_4D41_5244, UInt64(dim))  // "HADAMARD"
        signs = (0..<dim).map { _ in rng.next() & 1 == 0 ? 1 : -1 }
        var blocks: [Range<Int>] = []
        var start = 0
        for bit in stride(from: Int.bitWidth - 1, through: 0, by: -1) where dim & (1 << bit) != 0 {
            blocks.append(start..<start + (1 << bit))
            start += 1 << bit
        }
        self.blocks = blocks
    }

    /// FLOPs of transforming one row: log₂(b) butterfly stages of b additions per block,
    /// plus the 1/√b multiply per entry (sign flips are free).
    public var flopsPerRow: Int {
        blocks.reduce(0) { total, block in
            let b = block.count
            return total + b * b.trailingZeroBitCount + (b > 1 ? b : 0)
        }
    }

    /// row ← row · M in place (`dim` floats).
    public func apply(_ row: UnsafeMutablePointer<Float>) {
        for c in 0..<dim { row[c] *= signs[c] }
        for block in blocks where block.count > 1 {
            let x = row + block.lowerBound, b = block.count
            var half = 1
            while half < b {
                var i = 0
                while i < b {
                    for j in i..<i + half {
                        let u = x[j], v = x[j + half]
                        x[j] = u + v
                        x[j + half] = u - v
                    }
                    i += 2 * half
                }
                half *= 2
            }
            let norm = 1 / Float(b).squareRoot()
            for j in 0..<b { x[j] *= norm }
        }
    }
}
