/// `x` with lanes `count ..< 16` set to `value`: masks the part of a 16-wide chunk that lies
/// past the end of a row's allowed keys. Full chunks (count ≥ 16) pass through untouched;
/// only a row's last chunk pays for the few lane writes (SIMD `replace(with:where:)`
/// compiles to a lane-by-lane loop on every chunk).
@inline(__always)
func maskingLanes(_ x: SIMD16<Float>, from count: Int, with value: Float) -> SIMD16<Float> {
    if count >= 16 { return x }
    var y = x
    for lane in max(count, 0)..<16 { y[lane] = value }
    return y
}
