/// The number formats the flash kernel emulates (FlashAttention-3 §3.3 and §4.3), set by
/// the method keys `precision`, `scaling`, `hadamard` and `softmax`. The defaults are plain
/// float32, which runs the fast exact kernel unchanged.
///
/// Where values are rounded, per precision (the kernel's comments repeat this at each place):
/// - Q, K, V: after the optional incoherent transform (Q, K only), to the working format;
///   for fp8 after multiplying by a scale 448/amax per tensor or per tile.
/// - S = Q·Kᵀ: products are exact in float32 (narrow × narrow significands fit in 24 bits),
///   the sum accumulates in float32; descale and 1/√d are applied in float32.
/// - softmax=fp16: S·scale, S − m, P = exp(S − m), the rescale factor exp(m_old − m_new)
///   and the running sum ℓ are each rounded to fp16 where stored; softmax=fp32 keeps them.
/// - P before P·V: to the working format (fp8: e4m3(P·2⁸)/2⁸, FA3's `Max_offset` = 8,
///   so probabilities down to 2⁻¹⁴ keep full E4M3 precision); ℓ uses the unrounded P.
/// - P·V: float32 accumulation of each tile, added to the rescaled O with the V descale.
/// - O / ℓ in float32, then the output to the working format (bf16 for fp8, as FA3 writes
///   bf16 output from fp8 inputs).
public struct FlashNumerics: Sendable, Equatable {
    /// FP8 scaling granularity: one scale for a whole tensor (all heads), or one per tile
    /// of `tile_q` query rows / `tile_k` key and value rows of one head ("block quantisation").
    public enum Scaling: String, CaseIterable, Sendable { case tensor, block }
    /// Where softmax intermediates are held.
    public enum SoftmaxStorage: String, CaseIterable, Sendable { case fp32, fp16 }

    public var precision: NumericPrecision
    public var scaling: Scaling
    /// Incoherent processing: Q and K multiplied by the same random orthogonal M.
    public var hadamard: Bool
    public var softmax: SoftmaxStorage

    public init(precision: NumericPrecision = .fp32, scaling: Scaling = .block, hadamard: Bool = false,
                softmax: SoftmaxStorage = .fp32) {
        self.precision = precision
        self.scaling = scaling
        self.hadamard = hadamard
        self.softmax = softmax
    }

    public static let keys: [ParameterKey] = [
        ParameterKey("precision", default: "fp32", "working precision of Q, K, V and P (fp8 = OCP E4M3); accumulation is float32",
                     choices: NumericPrecision.allCases.map(\.rawValue)),
        ParameterKey("scaling", default: "block", "fp8 only: one scale per tensor, or per tile_q/tile_k block",
                     choices: Scaling.allCases.map(\.rawValue)),
        ParameterKey("hadamard", default: "auto", "incoherent processing of Q and K (random ±1 · Hadamard); auto: on for fp8, off otherwise",
                     choices: ["auto", "on", "off"]),
        ParameterKey("softmax", default: "fp32", "precision softmax intermediates (S, P, max, sum) are held in",
                     choices: SoftmaxStorage.allCases.map(\.rawValue)),
    ]

    /// Reads the keys; `scaling` with a precision other than fp8 is a usage error (there
    /// are no scales to choose), rather than silently ignored.
    public init(reading p: inout MethodParameters) throws {
        let precision = try p.choice("precision", default: NumericPrecision.fp32)
        if p.has("scaling") && precision != .fp8 {
            throw EngineError.usage("method '\(p.method)': key 'scaling' applies only to precision=fp8 "
                                    + "(bf16, fp16 and fp32 need no scales); remove it or set precision=fp8")
        }
        let scaling = try p.choice("scaling", default: Scaling.block)
        var hadamard = precision == .fp8
        if let raw = p.string("hadamard"), raw != "auto" { hadamard = try p.flag("hadamard", default: hadamard) }
        self.init(precision: precision, scaling: scaling, hadamard: hadamard,
                  softmax: try p.choice("softmax", default: SoftmaxStorage.fp32))
    }

    /// Plain float32 numerics: the fast exact kernel applies.
    public var isPlainFloat32: Bool { precision == .fp32 && !hadamard && softmax == .fp32 }

    /// Format of Q, K, V and of P before P·V.
    var operandFormat: FloatFormat { precision.storage }
    /// Format of the written output: the working format, bf16 for fp8.
    var outputFormat: FloatFormat { precision == .fp8 ? .bfloat16 : precision.storage }
    /// Format of stored softmax intermediates.
    var softmaxFormat: FloatFormat { softmax == .fp16 ? .float16 : .float32 }
    /// FP8 scales are taken per block, per tensor, or not at all (other precisions).
    var scaleGranularity: Scaling? { precision == .fp8 ? scaling : nil }

    /// Short description for result columns, e.g. `fp8 block hadamard softmax=fp32`.
    var summary: String {
        var parts = [precision.rawValue]
        if let s = scaleGranularity { parts.append(s.rawValue) }
        if hadamard { parts.append("hadamard") }
        parts.append("softmax=\(softmax.rawValue)")
        return parts.joined(separator: " ")
    }
}
