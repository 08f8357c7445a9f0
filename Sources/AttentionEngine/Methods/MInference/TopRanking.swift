/// The best `count` indices of a score array, best first. Indices below `forced` come first,
/// in index order, as if their score were +∞ (how MInference forces its first columns and
/// nearest diagonals); then the highest scores, ties going to the lower index so the
/// result never depends on sort stability. Prefixes of the ranking are the top-k for every
/// smaller k, so one ranking serves several candidate sizes.
///
/// A bounded min-heap keeps the current best: O(n log count) time, O(count) memory.
enum TopRanking {
    static func indices(of scores: UnsafeBufferPointer<Float>, count: Int, forced: Int) -> [Int32] {
        let n = scores.count
        let k = min(count, n)
        let pinned = min(forced, k)
        var result = (0..<pinned).map { Int32($0) }
        let capacity = k - pinned
        guard capacity > 0 else { return result }
        // Heap of (score, index) with the worst kept entry at the root.
        var heap: [(score: Float, index: Int32)] = []
        heap.reserveCapacity(capacity)
        @inline(__always) func worse(_ a: (score: Float, index: Int32), _ b: (score: Float, index: Int32)) -> Bool {
            a.score < b.score || (a.score == b.score && a.index > b.index)
        }
        for i in max(forced, 0)..<n {
            let item = (score: scores[i], index: Int32(i))
            if heap.count < capacity {
                heap.append(item)
                var c = heap.count - 1
                while c > 0 {
                    let parent = (c - 1) / 2
                    if !worse(heap[c], heap[parent]) { break }
                    heap.swapAt(c, parent)
                    c = parent
                }
            } else if worse(heap[0], item) {
                heap[0] = item
                var p = 0
                while true {
                    let l = 2 * p + 1, r = l + 1
                    var w = p
                    if l < capacity && worse(heap[l], heap[w]) { w = l }
                    if r < capacity && worse(heap[r], heap[w]) { w = r }
                    if w == p { break }
                    heap.swapAt(p, w)
                    p = w
                }
            }
        }
        heap.sort { worse($1, $0) }
        result.append(contentsOf: heap.map(\.index))
        return result
    }
}
