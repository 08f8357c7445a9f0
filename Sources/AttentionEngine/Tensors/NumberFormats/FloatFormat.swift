/// A binary floating-point storage format — bfloat16, IEEE float16 or OCP FP8 E4M3, or
/// float32 itself (whose rounding is the identity) — described by its field widths, with
/// one shared round-to-nearest-even conversion from float32. Kernels that emulate low-precision hardware keep values in
/// float32 registers and call `round` at every place the hardware would store a narrow
/// value; the result is the float32 that the narrow encoding decodes to, bit for bit.
///
/// Rounding (RNE, IEEE 754 roundTiesToEven), for |x| with float32 exponent e:
///
///     quantum = 2^(max(e, emin) − m)          m = stored mantissa bits, emin = min normal exponent
///     round(x) = quantum · roundTiesToEven(x / quantum)
///
/// computed without division in two regimes, both exact:
/// - normal range (|x| ≥ 2^emin): drop the 23 − m low bits of the float32 pattern, adding
///   half a quantum minus one plus the kept last bit (a carry into the exponent is the
///   correct rounding up to the next binade);
/// - subnormal range of the format (|x| < 2^emin): (|x| + C) − C with C = 2^(emin − m + 23),
///   whose float32 ulp is exactly the format's subnormal quantum, so the float32 adder does
///   the round-to-nearest-even.
///
/// Overflow (a result above `maxFinite`) becomes ±∞ for formats with infinities (bfloat16,
/// float16, as IEEE says) and saturates to ±`maxFinite` for E4M3, which has no infinities.
/// OCP's FP8 spec allows either saturation or NaN for E4M3 overflow; attnscope saturates,
/// as FlashAttention-3 and Transformer Engine do (CUDA's `__NV_SATFINITE` conversions):
/// with a scale of amax/448 only rounding can overshoot 448, and saturating is the nearer
/// answer. NaN stays NaN.
///
/// The type is plain data (no references), so kernels pass it around for free.
public struct FloatFormat: Sendable, Equatable, CustomStringConvertible {
    /// Width of the exponent field.
    public let exponentBits: Int
    /// Stored (explicit) mantissa bits; the significand has one more.
    public let mantissaBits: Int
    /// Exponent bias.
    public let bias: Int
    /// IEEE-style: the all-ones exponent encodes ±∞ and NaN. Otherwise (E4M3, "fn" in
    /// ml_dtypes' naming) only all-ones exponent *and* mantissa is NaN; the rest are finite.
    public let hasInfinity: Bool

    /// float32: rounding leaves every value as it is (the kernels' "no rounding here").
    public static let float32 = FloatFormat(exponentBits: 8, mantissaBits: 23, bias: 127, hasInfinity: true)
    public static let bfloat16 = FloatFormat(exponentBits: 8, mantissaBits: 7, bias: 127, hasInfinity: true)
    public static let float16 = FloatFormat(exponentBits: 5, mantissaBits: 10, bias: 15, hasInfinity: true)
    /// OCP 8-bit floating point E4M3: max 448, min normal 2⁻⁶, min subnormal 2⁻⁹, one NaN per sign.
    public static let e4m3 = FloatFormat(exponentBits: 4, mantissaBits: 3, bias: 7, hasInfinity: false)

    /// Largest finite value: the top exponent (one below all-ones for IEEE formats) with
    /// the largest mantissa that is not NaN.
    public let maxFinite: Float
    // Constants of `round`, fixed per format.
    private let droppedBits: UInt32        // 23 − m
    private let lastBitMask: UInt32        // 1, or 0 for float32 (nothing dropped)
    private let roundingBias: UInt32       // half a quantum minus one (0 for float32)
    private let keptMask: UInt32           // clears the dropped bits
    private let subnormalAdder: Float      // C = 2^(emin − m + 23)
    private let minNormalBits: UInt32      // float32 pattern of 2^emin
    private let overflowBits: UInt32       // what a too-large magnitude becomes: ∞ or maxFinite

    public init(exponentBits: Int, mantissaBits: Int, bias: Int, hasInfinity: Bool) {
        precondition(exponentBits <= 8 && mantissaBits <= 23, "formats wider than float32 cannot be emulated in float32")
        self.exponentBits = exponentBits
        self.mantissaBits = mantissaBits
        self.bias = bias
        self.hasInfinity = hasInfinity
        let topField = hasInfinity ? (1 << exponentBits) - 2 : (1 << exponentBits) - 1
        let topMantissa = hasInfinity ? (1 << mantissaBits) - 1 : (1 << mantissaBits) - 2
        maxFinite = Float(sign: .plus, exponent: topField - bias, significand: 1 + Float(topMantissa) / Float(1 << mantissaBits))
        droppedBits = UInt32(23 - mantissaBits)
        lastBitMask = droppedBits > 0 ? 1 : 0
        roundingBias = droppedBits > 0 ? (1 << (droppedBits - 1)) - 1 : 0
        keptMask = ~((1 << droppedBits) - 1)
        subnormalAdder = Float(sign: .plus, exponent: 1 - bias - mantissaBits + 23, significand: 1)
        minNormalBits = UInt32(1 - bias + 127) << 23
        overflowBits = hasInfinity ? 0x7F80_0000 : maxFinite.bitPattern
    }

    public var description: String {
        switch (exponentBits, mantissaBits) {
        case (8, 23): "fp32"
        case (8, 7): "bf16"
        case (5, 10): "fp16"
        case (4, 3): "fp8-e4m3"
        default: "e\(exponentBits)m\(mantissaBits)"
        }
    }
    /// Total bits of one encoded value.
    public var bitWidth: Int { 1 + exponentBits + mantissaBits }
    /// Exponent of the smallest normal number.
    public var minExponent: Int { 1 - bias }

    /// Rounds 16 float32 lanes to the nearest representable value (ties to even).
    ///
    /// Lane selections are integer masks (all ones where a condition holds), because
    /// `SIMD.replace(with:where:)` compiles to a lane-by-lane loop here. Every magnitude is
    /// below 2³¹, so `a < b` is the sign bit of a − b.
    @inline(__always)
    public func round(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let sign = bits & 0x8000_0000
        let magnitude = bits & 0x7FFF_FFFF
        // Normal range: round the pattern itself.
        let keptLast = (magnitude &>> droppedBits) & lastBitMask
        var rounded = (magnitude &+ roundingBias &+ keptLast) & keptMask
        // Subnormal range of the format: let the float32 adder round at the subnormal quantum.
        let absX = unsafeBitCast(magnitude, to: SIMD16<Float>.self)
        let tiny = unsafeBitCast((absX + subnormalAdder) - subnormalAdder, to: SIMD16<UInt32>.self)
        rounded = select(tiny, rounded, where: lessThan(magnitude, minNormalBits))
        // Overflow: ∞ or saturation. NaN inputs keep their pattern.
        rounded = select(SIMD16(repeating: overflowBits), rounded, where: lessThan(SIMD16(repeating: maxFinite.bitPattern), rounded))
        rounded = select(magnitude, rounded, where: lessThan(SIMD16(repeating: 0x7F80_0000), magnitude))
        return unsafeBitCast(rounded | sign, to: SIMD16<Float>.self)
    }

    /// All ones in lanes where a < b (both below 2³¹), zero elsewhere.
    @inline(__always)
    private func lessThan(_ a: SIMD16<UInt32>, _ b: SIMD16<UInt32>) -> SIMD16<UInt32> {
        0 &- ((a &- b) &>> 31)
    }

    @inline(__always)
    private func lessThan(_ a: SIMD16<UInt32>, _ b: UInt32) -> SIMD16<UInt32> { lessThan(a, SIMD16(repeating: b)) }

    /// `a` where `mask` is all ones, `b` where it is zero.
    @inline(__always)
    private func select(_ a: SIMD16<UInt32>, _ b: SIMD16<UInt32>, where mask: SIMD16<UInt32>) -> SIMD16<UInt32> {
        (a & mask) | (b & ~mask)
    }

    /// Rounds one value (see `round(_: SIMD16<Float>)`).
    @inline(__always)
    public func round(_ x: Float) -> Float { round(SIMD16(repeating: x))[0] }

    /// Rounds `count` values in place.
    public func round(_ p: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            store(round(load(p + i)), p + i)
            i += 16
        }
        while i < count { p[i] = round(p[i]); i += 1 }
    }

    /// The float32 value of an encoded bit pattern (the low `bitWidth` bits of `bits`).
    public func decode(_ bits: UInt32) -> Float {
        let field = Int(bits >> UInt32(mantissaBits)) & ((1 << exponentBits) - 1)
        let mantissa = Int(bits) & ((1 << mantissaBits) - 1)
        let negative = bits >> UInt32(bitWidth - 1) & 1 == 1
        let allOnes = field == (1 << exponentBits) - 1
        let magnitude: Float
        if allOnes && hasInfinity {
            magnitude = mantissa == 0 ? .infinity : .nan
        } else if allOnes && mantissa == (1 << mantissaBits) - 1 {
            magnitude = .nan
        } else if field == 0 {
            magnitude = Float(sign: .plus, exponent: minExponent - mantissaBits, significand: Float(mantissa))
        } else {
            magnitude = Float(sign: .plus, exponent: field - bias, significand: 1 + Float(mantissa) / Float(1 << mantissaBits))
        }
        return negative ? -magnitude : magnitude
    }

    /// The bit pattern of `x` after rounding; NaN encodes as the all-ones-exponent quiet NaN
    /// (sign kept).
    public func encode(_ x: Float) -> UInt32 {
        let r = round(x)
        let signBit: UInt32 = r.sign == .minus ? 1 << UInt32(bitWidth - 1) : 0
        let allOnesField = UInt32((1 << exponentBits) - 1)
        if r.isNaN {
            let quiet: UInt32 = hasInfinity ? 1 << UInt32(mantissaBits - 1) : (1 << UInt32(mantissaBits)) - 1
            return signBit | allOnesField << UInt32(mantissaBits) | quiet
        }
        if r.isInfinite { return signBit | allOnesField << UInt32(mantissaBits) }
        let a = abs(r)
        if a < Float(sign: .plus, exponent: minExponent, significand: 1) {
            // Subnormal or zero: mantissa counts subnormal quanta.
            return signBit | UInt32(a / Float(sign: .plus, exponent: minExponent - mantissaBits, significand: 1))
        }
        let field = UInt32(Int(a.exponent) + bias)
        let mantissa = UInt32((a.significand - 1) * Float(1 << mantissaBits))
        return signBit | field << UInt32(mantissaBits) | mantissa
    }
}
