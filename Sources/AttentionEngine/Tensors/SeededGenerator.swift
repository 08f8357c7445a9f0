import Foundation

/// The project's own deterministic random numbers, so a preset reproduces the same inputs
/// on any machine and Swift version: xoshiro256** seeded through SplitMix64, normals by
/// Box–Muller. Never use the system generator for anything that reaches a result.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// A generator for one named stream of a seed (e.g. head 3's keys, row 1021): streams
    /// are independent, and any one can be regenerated on its own without replaying others.
    public init(seed: UInt64, stream: UInt64...) {
        var h = SplitMix64.mix(seed)
        for part in stream { h = SplitMix64.mix(h ^ (part &* 0x9E37_79B9_7F4A_7C15)) }
        self.init(seed: h)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box–Muller (both values used).
    public mutating func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        var u1 = uniform()
        while u1 <= .leastNormalMagnitude { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = r * sin(theta)
        return r * cos(theta)
    }

    /// Uniform integer in 0..<bound without modulo bias.
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// SplitMix64: expands one 64-bit seed into well-mixed generator state.
struct SplitMix64 {
    var state: UInt64

    /// One step from `x`: a cheap, well-mixed hash of a 64-bit value.
    static func mix(_ x: UInt64) -> UInt64 {
        var s = SplitMix64(state: x)
        return s.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
