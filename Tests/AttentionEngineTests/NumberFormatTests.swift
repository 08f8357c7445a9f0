@testable import AttentionEngine
import Foundation
import XCTest

/// Round-to-nearest-even conversion of float32 to bfloat16, float16 and FP8 E4M3, checked
/// exhaustively over every bit pattern of each format, at every tie, against independent
/// decoders (Swift's Float16, the bfloat16 bit layout, the OCP E4M3 table), against a
/// brute-force nearest-value search, and against NumPy's float16 cast.
final class NumberFormatTests: XCTestCase {
    static let formats: [FloatFormat] = [.bfloat16, .float16, .e4m3]

    func testLimitsFollowTheSpecs() {
        XCTAssertEqual(FloatFormat.bfloat16.maxFinite, Float(bitPattern: 0x7F7F_0000))
        XCTAssertEqual(FloatFormat.float16.maxFinite, 65504)
        XCTAssertEqual(FloatFormat.e4m3.maxFinite, 448)
        XCTAssertEqual(FloatFormat.e4m3.decode(0x01), 0x1p-9, "smallest E4M3 subnormal")
        XCTAssertEqual(FloatFormat.e4m3.decode(0x07), 7 * 0x1p-9, "largest E4M3 subnormal")
        XCTAssertEqual(FloatFormat.e4m3.decode(0x08), 0x1p-6, "smallest E4M3 normal")
        XCTAssertEqual(FloatFormat.e4m3.decode(0x38), 1)
        XCTAssertEqual(FloatFormat.e4m3.decode(0x7E), 448)
        XCTAssertEqual(FloatFormat.e4m3.decode(0xFE), -448)
        XCTAssertTrue(FloatFormat.e4m3.decode(0x7F).isNaN)
        XCTAssertTrue(FloatFormat.e4m3.decode(0xFF).isNaN)
        XCTAssertEqual(FloatFormat.e4m3.decode(0x78), 256, "all-ones exponent is finite in E4M3")
        XCTAssertEqual(FloatFormat.float16.decode(0x0001), 0x1p-24)
        XCTAssertEqual(FloatFormat.float16.decode(0x7C00), .infinity)
        XCTAssertEqual(FloatFormat.bfloat16.decode(0x0001), 0x1p-133)
    }

    /// Every pattern decodes to a value that rounds to itself and encodes back to the same
    /// pattern (NaNs: to some NaN).
    func testEveryPatternRoundTrips() {
        for f in Self.formats {
            for pattern in 0..<UInt32(1 << f.bitWidth) {
                let v = f.decode(pattern)
                if v.isNaN {
                    XCTAssertTrue(f.round(v).isNaN, "\(f) \(hex(pattern))")
                    XCTAssertTrue(f.decode(f.encode(v)).isNaN, "\(f) \(hex(pattern))")
                    continue
                }
                let r = f.round(v)
                if r.bitPattern != v.bitPattern { XCTFail("\(f) \(hex(pattern)): \(v) rounds to \(r)"); return }
                if f.encode(v) != pattern { XCTFail("\(f) \(hex(pattern)) encodes back as \(hex(f.encode(v)))"); return }
            }
        }
    }

    /// Decoding agrees with independent definitions of each format.
    func testDecodeMatchesIndependentDefinitions() {
        for p in 0..<UInt32(65536) {
            let half = Float(Float16(bitPattern: UInt16(p)))
            let bf = Float(bitPattern: p << 16)
            XCTAssertTrue(same(FloatFormat.float16.decode(p), half), "fp16 \(hex(p))")
            XCTAssertTrue(same(FloatFormat.bfloat16.decode(p), bf), "bf16 \(hex(p))")
        }
        // OCP E4M3: (−1)^s · 2^(e−7) · (1 + m/8), subnormal 2^−6 · m/8, S.1111.111 = NaN.
        for p in 0..<UInt32(256) {
            let s = p >> 7, e = Int(p >> 3 & 15), m = Double(p & 7)
            let magnitude = e == 15 && m == 7 ? Double.nan : e == 0 ? m / 8 * pow(2, -6) : (1 + m / 8) * pow(2, Double(e - 7))
            XCTAssertTrue(same(FloatFormat.e4m3.decode(p), Float(s == 1 ? -magnitude : magnitude)), "e4m3 \(hex(p))")
        }
    }

    /// At the midpoint between every two neighbouring values the even one wins, and one
    /// float32 ulp either side goes to the nearer one; negative values mirror positive ones.
    func testEveryTieRoundsToEven() {
        for f in Self.formats {
            let values = finiteNonNegativeValues(f)
            for (a, b) in zip(values, values.dropFirst()) {
                let mid = Float((Double(a.value) + Double(b.value)) / 2)
                XCTAssertEqual(Double(mid), (Double(a.value) + Double(b.value)) / 2, "midpoint must be exact in float32")
                let even = a.pattern & 1 == 0 ? a.value : b.value
                if f.round(mid) != even || f.round(-mid) != -even
                    || f.round(mid.nextDown) != a.value || f.round(mid.nextUp) != b.value {
                    XCTFail("\(f): tie between \(a.value) and \(b.value) rounds wrong (\(f.round(mid)))")
                    return
                }
            }
        }
    }

    /// Random float32 values of every magnitude agree with a brute-force search for the
    /// nearest representable value (ties to the even pattern, overflow as each format says).
    func testRandomValuesMatchNearestValueSearch() {
        var rng = SeededGenerator(seed: 11)
        for f in Self.formats {
            let values = finiteNonNegativeValues(f)
            let maxExp = Int(f.maxFinite.exponent) + 2, minExp = f.minExponent - f.mantissaBits - 3
            for _ in 0..<20_000 {
                let x = Float(sign: rng.next() & 1 == 0 ? .plus : .minus,
                              exponent: minExp + rng.int(below: maxExp - minExp),
                              significand: 1 + Float(rng.uniform()))
                let expected = nearest(abs(x), in: values, format: f)
                let got = f.round(x)
                if abs(got) != expected || (got != 0 && (got < 0) != (x < 0)) {
                    XCTFail("\(f): \(x) rounds to \(got), nearest is \(expected)"); return
                }
            }
        }
    }

    func testOverflowInfinityForIEEEFormatsSaturationForE4M3() {
        XCTAssertEqual(FloatFormat.bfloat16.round(.greatestFiniteMagnitude), .infinity)
        XCTAssertEqual(FloatFormat.bfloat16.round(-.infinity), -.infinity)
        XCTAssertEqual(FloatFormat.float16.round(65519.996), 65504)
        XCTAssertEqual(FloatFormat.float16.round(65520), .infinity, "65520 is the tie with 2^16: rounds away, to ∞")
        XCTAssertEqual(FloatFormat.float16.round(-1e6), -.infinity)
        let e4m3 = FloatFormat.e4m3
        XCTAssertEqual(e4m3.round(463.99), 448)
        XCTAssertEqual(e4m3.round(464), 448, "tie between 448 (even) and the NaN slot 480")
        XCTAssertEqual(e4m3.round(500), 448, "saturates")
        XCTAssertEqual(e4m3.round(-1e30), -448)
        XCTAssertEqual(e4m3.round(.infinity), 448)
        XCTAssertTrue(e4m3.round(.nan).isNaN)
        XCTAssertTrue(FloatFormat.float16.round(.nan).isNaN)
        XCTAssertTrue(FloatFormat.bfloat16.round(Float(bitPattern: 0x7F80_0001)).isNaN, "signalling NaN must not become ∞")
        XCTAssertEqual(e4m3.round(0x1p-10), 0, "half the smallest subnormal ties to zero")
        XCTAssertEqual(e4m3.round(Float(0x1p-10).nextUp), 0x1p-9)
        XCTAssertEqual(e4m3.round(3 * 0x1p-10), 2 * 0x1p-9, "1.5 subnormal quanta tie to 2")
    }

    /// `.float32` is the kernels' "no rounding here": every float32 pattern maps to itself.
    func testFloat32FormatIsTheIdentity() {
        var pattern: UInt32 = 3
        for _ in 0..<65_536 {
            let x = Float(bitPattern: pattern)
            XCTAssertTrue(same(FloatFormat.float32.round(x), x), "\(hex(pattern))")
            pattern &+= 65_519
        }
        for x: Float in [0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, -.infinity] {
            XCTAssertEqual(FloatFormat.float32.round(x).bitPattern, x.bitPattern)
        }
        XCTAssertEqual(FloatFormat.float32.maxFinite, .greatestFiniteMagnitude)
    }

    /// float16 rounding agrees with the machine's own float32 → float16 conversion (Swift's
    /// `Float16(_:)`, round-to-nearest-even) on a stride through all float32 patterns.
    func testFloat16MatchesSwiftFloat16Conversion() {
        var pattern: UInt32 = 0
        for _ in 0..<65_536 {
            let x = Float(bitPattern: pattern)
            let mine = FloatFormat.float16.round(x), machine = Float(Float16(x))
            if !same(mine, machine) { XCTFail("\(x): \(mine) vs Float16 \(machine)"); return }
            pattern &+= 65_521
        }
    }

    /// float16 rounding agrees with NumPy's `astype(np.float16)` on ~1.1 M float32 values:
    /// a stride through all patterns plus every float16 midpoint and its float32 neighbours.
    /// NumPy runs live (`python3`), so the comparison covers far more values than a committed
    /// fixture could; without python3 and numpy the test fails and says so.
    func testFloat16MatchesNumPy() throws {
        var inputs: [Float] = []
        var pattern: UInt32 = 7
        for _ in 0..<(1 << 20) { inputs.append(Float(bitPattern: pattern)); pattern &+= 4099 }
        let values = finiteNonNegativeValues(.float16)
        for (a, b) in zip(values, values.dropFirst()) {
            let mid = (a.value + b.value) / 2
            inputs += [mid, mid.nextUp, mid.nextDown, -mid]
        }
        let dir = NSTemporaryDirectory() + "attnscope-numpy-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (input, output) = (dir + "/in.f32", dir + "/out.u16")
        try inputs.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: input)) }
        let script = "import sys, numpy as np; np.fromfile(sys.argv[1], dtype='<f4').astype(np.float16).view('<u2').tofile(sys.argv[2])"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, input, output]
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch {
            XCTFail("this test needs python3 with numpy to cross-check float16 rounding; could not start python3: \(error)")
            return
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTFail("this test needs python3 with numpy to cross-check float16 rounding; python3 failed: \(message)")
            return
        }
        let bits = try Data(contentsOf: URL(fileURLWithPath: output)).withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        XCTAssertEqual(bits.count, inputs.count)
        var mismatches = 0
        for (x, numpy) in zip(inputs, bits) {
            let mine = FloatFormat.float16.encode(x)
            let agree = x.isNaN ? FloatFormat.float16.decode(UInt32(numpy)).isNaN : mine == UInt32(numpy)
            if !agree {
                mismatches += 1
                if mismatches <= 5 { XCTFail("\(x): attnscope \(hex(mine)), numpy \(hex(UInt32(numpy)))") }
            }
        }
        XCTAssertEqual(mismatches, 0, "of \(inputs.count) values")
    }

    // MARK: helpers

    /// The format's finite values ≥ 0 in increasing order, with their patterns.
    private func finiteNonNegativeValues(_ f: FloatFormat) -> [(pattern: UInt32, value: Float)] {
        (0..<UInt32(1 << (f.bitWidth - 1))).map { ($0, f.decode($0)) }.filter { $0.value.isFinite }
    }

    /// Brute force: the nearest value by binary search, ties to the even pattern; above the
    /// largest value, the overflow rule (half an ulp past maxFinite goes to ∞ or saturates).
    private func nearest(_ x: Float, in values: [(pattern: UInt32, value: Float)], format f: FloatFormat) -> Float {
        let top = values[values.count - 1], ulp = top.value - values[values.count - 2].value
        if Double(x) >= Double(top.value) + Double(ulp) / 2 { return f.hasInfinity ? .infinity : top.value }
        if x >= top.value { return top.value }
        var lo = 0, hi = values.count - 1  // values[lo] ≤ x < values[hi]
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if values[mid].value <= x { lo = mid } else { hi = mid }
        }
        let (a, b) = (values[lo], values[hi])
        let da = Double(x) - Double(a.value), db = Double(b.value) - Double(x)
        if da != db { return da < db ? a.value : b.value }
        return a.pattern & 1 == 0 ? a.value : b.value
    }

    private func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
    private func hex(_ p: UInt32) -> String { "0x" + String(p, radix: 16) }
}
