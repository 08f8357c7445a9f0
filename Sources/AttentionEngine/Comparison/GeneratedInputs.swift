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
        shape = spec.shape
        causal = spec.causal
        seed = spec.seed
        rope = spec.ropeSettings
        generator = spec.workload.generator(rope: rope)
        annotations = generator.annotations(shape: shape, seed: spec.seed)
        rotation = InputPreparation.rotation(rope, headDim: spec.headDim)
    }

    /// Rows `rows` of every head as inputs of their own (seq = rows.count), q/k rotated at
    /// their absolute positions.
    public func segment(_ rows: Range<Int>, threads: Int) -> AttentionInputs {
        var buffer: AttentionInputs?
        segment(rows, threads: threads, reusing: &buffer)
        return buffer!
    }

    /// The same, written into `buffer`'s storage when it holds a segment of this length and
    /// nothing else refers to it: a stream's segments reuse one buffer, so a long run does
    /// not churn large allocations (which fragments the heap and makes peak memory creep with N).
    public func segment(_ rows: Range<Int>, threads: Int, reusing buffer: inout AttentionInputs?) {
        load(stride(from: rows.lowerBound, to: rows.upperBound, by: Self.block).map { $0..<min($0 + Self.block, rows.upperBound) },
             threads: threads, into: &buffer)
    }

    /// The rows at positions `rows` (any order) of every head, packed in that order.
    public func rows(_ rows: [Int], threads: Int) -> AttentionInputs {
        var buffer: AttentionInputs?
        load(rows.map { $0..<$0 + 1 }, threads: threads, into: &buffer)
        return buffer!
    }

    typealias Layout = (pieces: [Range<Int>], starts: [Int], total: Int)

    /// Row ranges packed one after another: content generated, then rotated at each
    /// piece's own positions; in parallel by (head, piece).
    func load(_ pieces: [Range<Int>], threads: Int, into buffer: inout AttentionInputs?) {
        var starts: [Int] = [], total = 0
        for p in pieces { starts.append(total); total += p.count }
        let layout = (pieces: pieces, starts: starts, total: total)
        let d = shape.headDim
        var inputs: AttentionInputs
        if let old = buffer, old.seq == total { inputs = old } else {
            func tensor(_ heads: Int) -> HeadTensor { HeadTensor(heads: heads, seq: total, dim: d) }
            inputs = AttentionInputs(q: tensor(shape.heads), k: tensor(shape.kvHeads), v: tensor(shape.kvHeads), causal: causal,
                                     qContent: rotation == nil ? nil : tensor(shape.heads),
                                     kContent: rotation == nil ? nil : tensor(shape.kvHeads), rope: rope, annotations: annotations)
        }
        buffer = nil
        // Without rotation q/k share the content's storage: let go of them so it is written in place.
        if rotation == nil { (inputs.q, inputs.k) = (HeadTensor(heads: 0, seq: 0, dim: d), HeadTensor(heads: 0, seq: 0, dim: d)) }
        generate(.q, into: &inputs.qContent, layout, threads: threads)
        generate(.k, into: &inputs.kContent, layout, threads: threads)
        generate(.v, into: &inputs.v, layout, threads: threads)
        if let rotation {
            rotate(inputs.qContent, by: rotation, into: &inputs.q, layout, threads: threads)
            rotate(inputs.kContent, by: rotation, into: &inputs.k, layout, threads: threads)
        } else {
            (inputs.q, inputs.k) = (inputs.qContent, inputs.kContent)
        }
        buffer = inputs
    }

    private func generate(_ which: QKV, into t: inout HeadTensor, _ layout: Layout, threads: Int) {
        let d = shape.headDim, count = layout.pieces.count, heads = t.heads
        t.withSharedPointer { out in
            ParallelFor.run(count: heads * count, threads: threads) { item in
                let head = item / count, p = item % count
                generator.fill(which, head: head, rows: layout.pieces[p], shape: shape, seed: seed,
                               into: out.base + (head * layout.total + layout.starts[p]) * d)
            }
        }
    }

    private func rotate(_ content: HeadTensor, by rotation: RotaryEmbedding, into t: inout HeadTensor, _ layout: Layout, threads: Int) {
        let d = shape.headDim, count = layout.pieces.count
        _ = t.data.withUnsafeMutableBufferPointer { $0.update(fromContentsOf: content.data) }
        t.withSharedPointer { out in
            ParallelFor.run(count: content.heads * count, threads: threads) { item in
                let head = item / count, p = item % count
                rotation.rotate(out.base + (head * layout.total + layout.starts[p]) * d, rows: layout.pieces[p].count,
                                dim: d, firstPosition: layout.pieces[p].lowerBound)
            }
        }
    }
}
