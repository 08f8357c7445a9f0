/// The precision a method's arithmetic emulates, as named by the `precision=` method key.
/// float32 is the machine's own arithmetic; the others store operands in a narrower
/// `FloatFormat` and accumulate in float32, as tensor-core kernels do.
public enum NumericPrecision: String, CaseIterable, Sendable {
    case fp32, bf16, fp16, fp8

    /// Format that stored operands are rounded to; nil for float32 (no rounding).
    public var storage: FloatFormat? {
        switch self {
        case .fp32: nil
        case .bf16: .bfloat16
        case .fp16: .float16
        case .fp8: .e4m3
        }
    }
}

extension Optional where Wrapped == FloatFormat {
    /// Rounds to the format, or leaves float32 values as they are when there is none.
    @inline(__always)
    func round(_ x: SIMD16<Float>) -> SIMD16<Float> {
        switch self {
        case .some(let f): f.round(x)
        case .none: x
        }
    }

    @inline(__always)
    func round(_ x: Float) -> Float {
        switch self {
        case .some(let f): f.round(x)
        case .none: x
        }
    }

    func round(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if case .some(let f) = self { f.round(p, count: count) }
    }
}
