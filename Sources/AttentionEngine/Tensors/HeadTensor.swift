/// Head-major float32 storage: `heads` matrices of `seq` rows by `dim` columns, row-major,
/// laid out as [heads, seq, dim] exactly like a C-order .npy array of that shape.
public struct HeadTensor: Sendable, Equatable {
    public let heads: Int
    public let seq: Int
    public let dim: Int
    public var data: [Float]

    public init(heads: Int, seq: Int, dim: Int, data: [Float]) {
        precondition(data.count == heads * seq * dim, "HeadTensor data does not match its shape")
        self.heads = heads
        self.seq = seq
        self.dim = dim
        self.data = data
    }

    public init(heads: Int, seq: Int, dim: Int, repeating value: Float = 0) {
        self.init(heads: heads, seq: seq, dim: dim, data: [Float](repeating: value, count: heads * seq * dim))
    }

    /// Number of floats in one head.
    public var headStride: Int { seq * dim }
    public var byteCount: Int { data.count * MemoryLayout<Float>.size }

    /// Offset of row `row` of head `head` in `data`.
    @inline(__always)
    public func offset(head: Int, row: Int) -> Int { head * seq * dim + row * dim }

    /// A copy of one row.
    public func row(head: Int, _ row: Int) -> [Float] {
        let o = offset(head: head, row: row)
        return Array(data[o..<o + dim])
    }

    /// Rows `rows` of every head, packed in that order: [heads, rows.count, dim].
    public func gathering(rows: [Int]) -> HeadTensor {
        var out = HeadTensor(heads: heads, seq: rows.count, dim: dim)
        for h in 0..<heads {
            for (i, r) in rows.enumerated() {
                let src = offset(head: h, row: r), dst = out.offset(head: h, row: i)
                for c in 0..<dim { out.data[dst + c] = data[src + c] }
            }
        }
        return out
    }

    /// The first position holding NaN or ±Inf, as (head, row, column), if any.
    public func firstNonFinite() -> (head: Int, row: Int, column: Int)? {
        data.withUnsafeBufferPointer { p in
            for i in 0..<p.count where !p[i].isFinite {
                return (i / headStride, (i % headStride) / dim, i % dim)
            }
            return nil
        }
    }
}
