/// Unaligned SIMD16 loads and stores for the index-estimation loops, which keep 16 query
/// rows (or 16 scores) per vector.
@inline(__always) func lanes16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) func lanes16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) func storeLanes16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// A zero-filled float buffer that worker threads write in disjoint parts; freed with its owner.
final class FloatBuffer {
    let shared: SharedPointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        shared = SharedPointer(p)
    }

    deinit { shared.base.deallocate() }

    var bytes: Int { 4 * count }
}
