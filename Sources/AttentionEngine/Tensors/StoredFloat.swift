/// How a tensor file stores its numbers: little-endian IEEE half, bfloat16, single or double
/// precision. Every one is read as float32 (bfloat16 and half exactly, double rounded).
enum StoredFloat: Sendable {
    case f16, bf16, f32, f64

    var width: Int {
        switch self {
        case .f16, .bf16: 2
        case .f32: 4
        case .f64: 8
        }
    }

    static let hostIsLittleEndian = 1.littleEndian == 1

    /// `count` values stored at `base` (unaligned), as float32 into `out`.
    func convert(_ base: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        func load<T: FixedWidthInteger>(_ i: Int, _: T.Type) -> T {
            T(littleEndian: base.loadUnaligned(fromByteOffset: MemoryLayout<T>.size * i, as: T.self))
        }
        switch self {
        case .f32 where StoredFloat.hostIsLittleEndian:  // already the host's float32: one copy, not a loop
            UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: 4 * count)
        case .f32:
            for i in 0..<count { out[i] = Float(bitPattern: load(i, UInt32.self)) }
        case .f16:
            for i in 0..<count { out[i] = Float(Float16(bitPattern: load(i, UInt16.self))) }
        case .bf16:  // the upper half of a float32
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(load(i, UInt16.self)) << 16) }
        case .f64:
            for i in 0..<count { out[i] = Float(Double(bitPattern: load(i, UInt64.self))) }
        }
    }
}
