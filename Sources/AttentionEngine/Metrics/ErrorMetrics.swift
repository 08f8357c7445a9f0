/// How far a method's output is from the float64 reference, over every element of the
/// checked rows of every head (`rows` = query rows checked per head).
///
///     rmse       = sqrt(mean((o − ref)²))
///     max_abs    = max |o − ref|
///     rel_l2     = ‖o − ref‖₂ / ‖ref‖₂
public struct ErrorMetrics: Sendable, Equatable {
    public var rmse: Double
    public var maxAbs: Double
    public var relL2: Double
    public var rows: Int

    public init(output: HeadTensor, reference: Reference) {
        var sq = 0.0, ref2 = 0.0, mx = 0.0
        let d = reference.dim, rowCount = reference.rows.count
        output.data.withUnsafeBufferPointer { o in
            for h in 0..<reference.heads {
                for (idx, i) in reference.rows.enumerated() {
                    let ob = output.offset(head: h, row: i)
                    let rb = (h * rowCount + idx) * d
                    for c in 0..<d {
                        let r = reference.output[rb + c]
                        let e = Double(o[ob + c]) - r
                        sq += e * e
                        ref2 += r * r
                        mx = max(mx, abs(e))
                    }
                }
            }
        }
        let count = Double(reference.heads * rowCount * d)
        rmse = (sq / count).squareRoot()
        maxAbs = mx
        relL2 = ref2 > 0 ? (sq / ref2).squareRoot() : (sq > 0 ? .infinity : 0)
        rows = rowCount
    }
}
