/// Vectorised exponentials for SIMD16<Float>, about 15× faster than libm per lane
/// (DESIGN.md §3). Both split the argument into an integer power of two and a small rest:
///
///     exp(x)  = 2^n · exp(r),   n = round(x·log₂e),  r = x − n·ln2   (ln2 split in two constants)
///     exp2(x) = 2^n · exp(r),   n = round(x),        r = (x − n)·ln2 (x − n is exact)
///     exp(r) ≈ 1 + r + r²·P(r),  P of degree 5 (Cephes expf coefficients), |r| ≤ ln2/2
///
/// Relative error ≤ 2.5e-7 over the softmax range (tested against Double exp).

/// exp(x). Inputs below −87.3 return 0 (softmax arguments are ≤ 0, so underflow is what
/// matters); inputs above 88 are clamped to 88. NaN must not reach here (kernels check
/// inputs for finiteness on entry).
@inline(__always)
public func fastExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let underflow = x .< -87.33654
    let x = lanewiseMin(lanewiseMax(x, SIMD16(repeating: -87.33654)), SIMD16(repeating: 88))
    let (n, scale) = roundedPowerOfTwo(x * 1.44269504088896341)
    var r = x.addingProduct(n, SIMD16(repeating: -0.693359375))
    r = r.addingProduct(n, SIMD16(repeating: 2.12194440e-4))
    var y = expReduced(r) * scale
    y.replace(with: 0, where: underflow)
    return y
}

/// Scalar exp with the same accuracy, for tails shorter than 16 lanes.
@inline(__always)
public func fastExp(_ x: Float) -> Float {
    fastExp(SIMD16(repeating: x))[0]
}

/// 2^x for softmax arguments x ≤ 0 (scores already in log₂ units). Arguments at or below
/// −126.5 (including −∞, the kernels' masked entries) give exactly 0: x is floored at −127,
/// where 2^n's exponent field is 0. Needs less range handling than `fastExp`, and the
/// caller saves the multiply by log₂e by folding it into Q. Arguments above 127.5 overflow.
@inline(__always)
public func fastExp2(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let x = lanewiseMax(x, SIMD16(repeating: -127))
    let (n, scale) = roundedPowerOfTwo(x)
    return expReduced((x - n) * 0.693147180559945309) * scale
}

/// exp(r) for |r| ≤ ln2/2: 1 + r + r²·P(r).
@inline(__always)
func expReduced(_ r: SIMD16<Float>) -> SIMD16<Float> {
    var p = SIMD16<Float>(repeating: 1.9875691500e-4)
    p = SIMD16<Float>(repeating: 1.3981999507e-3).addingProduct(p, r)
    p = SIMD16<Float>(repeating: 8.3334519073e-3).addingProduct(p, r)
    p = SIMD16<Float>(repeating: 4.1665795894e-2).addingProduct(p, r)
    p = SIMD16<Float>(repeating: 1.6666665459e-1).addingProduct(p, r)
    p = SIMD16<Float>(repeating: 5.0000001201e-1).addingProduct(p, r)
    return (r + 1).addingProduct(p, r * r)
}

/// n = round(x) and 2^n, for x in −127…128 (n = −127 gives 2^n = 0).
///
/// Adding 1.5·2²³ rounds x to a whole number (to nearest even) and leaves n + 0x400000 in
/// the low mantissa bits of the sum t; (bits(t) + 127) << 23 then puts n + 127 in the
/// exponent field (the higher bits of t shift out). No float→int conversion is needed:
/// Swift's SIMD conversions are not vectorised.
@inline(__always)
func roundedPowerOfTwo(_ x: SIMD16<Float>) -> (n: SIMD16<Float>, power: SIMD16<Float>) {
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let t = x + magic
    let bits = (unsafeBitCast(t, to: SIMD16<UInt32>.self) &+ 127) &<< 23
    return (t - magic, unsafeBitCast(bits, to: SIMD16<Float>.self))
}
