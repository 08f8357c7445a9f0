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

    /// Errors of a full output ([heads, seq, dim]) on the reference's rows.
    public init(output: HeadTensor, reference: Reference) {
        self.init(sampledOutput: output.gathering(rows: reference.rows), reference: reference)
    }

    /// Errors of an output kept only on the reference rows: [heads, rows.count, dim] with
    /// row i holding query row `reference.rows[i]` (what a streamed run keeps).
    public init(sampledOutput output: HeadTensor, reference: Reference) {
        var sq = 0.0, ref2 = 0.0, mx = 0.0
        for i in reference.output.indices {
            let r = reference.output[i]
            let e = Double(output.data[i]) - r
            sq += e * e
            ref2 += r * r
            mx = max(mx, abs(e))
        }
        let count = Double(reference.output.count)
        rmse = (sq / count).squareRoot()
        maxAbs = sq.isNaN ? .nan : mx  // max() drops NaN; a non-finite output must not read as exact
        relL2 = ref2 > 0 ? (sq / ref2).squareRoot() : (sq > 0 ? .infinity : 0)
        rows = reference.rows.count
    }

    /// RMSE per band of `rowsPerBand` consecutive query rows of a sequence of `seq` rows,
    /// over the reference rows in each band (NaN for bands holding none).
    public static func rmseByBand(sampledOutput output: HeadTensor, reference: Reference, rowsPerBand: Int, seq: Int) -> [Double] {
        let bands = (seq + rowsPerBand - 1) / rowsPerBand, d = reference.dim, n = reference.rows.count
        var sq = [Double](repeating: 0, count: bands), elements = [Int](repeating: 0, count: bands)
        for h in 0..<reference.heads {
            for (idx, row) in reference.rows.enumerated() {
                let b = row / rowsPerBand, base = (h * n + idx) * d
                for c in 0..<d {
                    let e = Double(output.data[base + c]) - reference.output[base + c]
                    sq[b] += e * e
                }
                elements[b] += d
            }
        }
        return zip(sq, elements).map { $1 > 0 ? ($0 / Double($1)).squareRoot() : .nan }
    }
}
