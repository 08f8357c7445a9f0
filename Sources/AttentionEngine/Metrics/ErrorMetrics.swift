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
        var sq = 0.0, ref2 = 0.0, mx = 0.0, allFinite = true
        for i in reference.output.indices {
            let r = reference.output[i]
            let o = output.data[i]
            allFinite = allFinite && o.isFinite
            let e = Double(o) - r
            sq += e * e
            ref2 += r * r
            mx = max(mx, abs(e))
        }
        rows = reference.rows.count
        // A NaN or ∞ output has no error to measure (max() would drop a NaN, an ∞ would read
        // as a figure): all three are NaN, as the README's column table says.
        guard allFinite else { rmse = .nan; maxAbs = .nan; relL2 = .nan; return }
        rmse = (sq / Double(reference.output.count)).squareRoot()
        maxAbs = mx
        relL2 = ref2 > 0 ? (sq / ref2).squareRoot() : (sq > 0 ? .infinity : 0)
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
                    let o = output.data[base + c]
                    let e = o.isFinite ? Double(o) - reference.output[base + c] : .nan  // as in init
                    sq[b] += e * e
                }
                elements[b] += d
            }
        }
        return zip(sq, elements).map { $1 > 0 ? ($0 / Double($1)).squareRoot() : .nan }
    }
}
