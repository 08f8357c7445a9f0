/// The precision a method's arithmetic emulates, as named by the `precision=` method key.
/// float32 is the machine's own arithmetic; the others store operands in a narrower
/// `FloatFormat` and accumulate in float32, as tensor-core kernels do.
public enum NumericPrecision: String, CaseIterable, Sendable {
    case fp32, bf16, fp16, fp8

    /// Format that stored operands are rounded to (`.float32`: left as they are).
    public var storage: FloatFormat {
        switch self {
        case .fp32: .float32
        case .bf16: .bfloat16
        case .fp16: .float16
        case .fp8: .e4m3
        }
    }
}
