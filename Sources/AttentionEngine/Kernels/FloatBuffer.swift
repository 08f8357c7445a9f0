/// A zero-filled float buffer that worker threads write in disjoint parts (MInference's index
/// estimation, Infini-attention's memory); freed with its owner.
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
