/// The text's topic structure, shared by every head: the sequence is cut into segments
/// of varying length, each about one of `topics` topics. Segment s starts at
/// s·L + U_s·L (U_s uniform in [0, 1) from the seed, segment 0 at 0), so lengths spread
/// over 0 … 2L with mean L, and the segment of any position is found in O(1) without a
/// table: it is ⌊i/L⌋ if i is past that segment's start, else the one before.
public struct TopicSegments: Sendable {
    public let seed: UInt64
    /// Mean segment length L in tokens.
    public let length: Int
    public let topics: Int

    public init(seed: UInt64, length: Int, topics: Int) {
        self.seed = seed
        self.length = max(1, length)
        self.topics = max(1, topics)
    }

    /// First position of segment `s`.
    public func start(ofSegment s: Int) -> Int {
        if s == 0 { return 0 }
        var rng = SeededGenerator(seed: seed, stream: LLMStream.segments, UInt64(s), 0)
        return s * length + Int(rng.uniform() * Double(length))
    }

    /// The segment holding position `i`.
    public func segment(containing i: Int) -> Int {
        let s = i / length
        return i >= start(ofSegment: s) ? s : s - 1
    }

    /// The topic of segment `s`, uniform over the topics.
    public func topic(ofSegment s: Int) -> Int {
        var rng = SeededGenerator(seed: seed, stream: LLMStream.segments, UInt64(s), 1)
        return rng.int(below: topics)
    }

    /// The topic at position `i`.
    public func topic(at i: Int) -> Int { topic(ofSegment: segment(containing: i)) }

    /// Topics of consecutive positions without a lookup per position: remembers the
    /// segment it last found and looks again only when a position leaves it.
    public struct Cursor {
        let segments: TopicSegments
        private var span = 0..<0
        private var current = 0

        public init(_ segments: TopicSegments) { self.segments = segments }

        public mutating func topic(at i: Int) -> Int {
            if !span.contains(i) {
                let s = segments.segment(containing: i)
                span = segments.start(ofSegment: s)..<segments.start(ofSegment: s + 1)
                current = segments.topic(ofSegment: s)
            }
            return current
        }
    }
}
