/// A generated workload read in pieces: any range of rows, or any set of rows, of every
/// head's Q, K, V, after the run-level positional stage. Every row comes from its own random
/// stream (`WorkloadGenerator.fill`), so a piece is the same whether it is generated alone
/// or as part of the whole; a streamed run generates one segment at a time and never holds
/// the whole sequence.
public struct GeneratedInputs: Sendable {
    public let shape: AttentionShape
    public let causal: Bool
    public let seed: UInt64
    public let generator: any WorkloadGenerator
    public let rope: RopeSettings
    public let annotations: WorkloadAnnotations
    let rotation: RotaryEmbedding?

    /// Rows per work item when generating a range.
    static let block = 256

    public init(spec: RunSpec) {
        shape = AttentionShape(seq: spec.seq, heads: spec.heads, kvHeads: spec.kvHeads, headDim: spec.headDim)
        causal = spec.causal
        seed = spec.seed
        generator = spec.workload.generator
        rope = spec.ropeSettings
        annotations = generator.annotations(shape: shape, seed: spec.seed)
        rotation = InputPreparation.rotation(rope, headDim: spec.headDim)
    }

    /// Rows `rows` of every head as inputs of their own (seq = rows.count), q/k rotated at
    /// their absolute positions.
    public func segment(_ rows: Range<Int>, threads: Int) -> AttentionInputs {
        pieces(stride(from: rows.lowerBound, to: rows.upperBound, by: Self.block).map { $0..<min($0 + Self.block, rows.upperBound) },
               threads: threads)
    }

    /// The rows at positions `rows` (any order) of every head, packed in that order.
    public func rows(_ rows: [Int], threads: Int) -> AttentionInputs {
        pieces(rows.map { $0..<$0 + 1 }, threads: threads)
    }

    /// Row ranges packed one after another: content generated, then rotated at each
    /// piece's own positions; in parallel by (head, piece).
    func pieces(_ pieces: [Range<Int>], threads: Int) -> AttentionInputs {
        var starts: [Int] = [], total = 0
        for p in pieces { starts.append(total); total += p.count }
        let layout = (pieces: pieces, starts: starts, total: total)
        let qc = generate(.q, heads: shape.heads, layout, threads: threads)
        let kc = generate(.k, heads: shape.kvHeads, layout, threads: threads)
        let v = generate(.v, heads: shape.kvHeads, layout, threads: threads)
        guard let rotation else {
            return AttentionInputs(q: qc, k: kc, v: v, causal: causal, rope: rope, annotations: annotations)
        }
        return AttentionInputs(q: rotated(qc, by: rotation, layout, threads: threads), k: rotated(kc, by: rotation, layout, threads: threads),
                               v: v, causal: causal, qContent: qc, kContent: kc, rope: rope, annotations: annotations)
    }

    typealias Layout = (pieces: [Range<Int>], starts: [Int], total: Int)

    private func generate(_ which: QKV, heads: Int, _ layout: Layout, threads: Int) -> HeadTensor {
        let d = shape.headDim, count = layout.pieces.count
        var t = HeadTensor(heads: heads, seq: layout.total, dim: d)
        t.data.withUnsafeMutableBufferPointer { buf in
            let out = SharedPointer(buf.baseAddress!)
            ParallelFor.run(count: heads * count, threads: threads) { item in
                let head = item / count, p = item % count
                generator.fill(which, head: head, rows: layout.pieces[p], shape: shape, seed: seed,
                               into: out.base + (head * layout.total + layout.starts[p]) * d)
            }
        }
        return t
    }

    private func rotated(_ t: HeadTensor, by rotation: RotaryEmbedding, _ layout: Layout, threads: Int) -> HeadTensor {
        var r = t
        let d = shape.headDim, count = layout.pieces.count
        r.data.withUnsafeMutableBufferPointer { buf in
            let out = SharedPointer(buf.baseAddress!)
            ParallelFor.run(count: t.heads * count, threads: threads) { item in
                let head = item / count, p = item % count
                rotation.rotate(out.base + (head * layout.total + layout.starts[p]) * d, rows: layout.pieces[p].count,
                                dim: d, firstPosition: layout.pieces[p].lowerBound)
            }
        }
        return r
    }
}
