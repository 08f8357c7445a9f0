/// LongRoPE's genetic operators as the paper describes them (§3.2, Algorithm 1), both keeping
/// factors non-decreasing and never returning a candidate already evaluated. The repository's
/// `evolution/algorithms/dim_mono.py` differs in details not followed here: its crossover
/// takes a gene with probability p/2 and builds on failed attempts, its mutation retries
/// build on each other, and it searches [1, 1 + s] without n̂.
///
/// - Mutation: each pair, with probability p (0.3), draws a new grid value uniformly between
///   its neighbours' current values (1 below the fastest pair, 1.25·s above the slowest), so
///   monotonicity holds by construction; n̂ is redrawn from its choices with the same
///   probability. Retried until the child is new.
/// - Crossover: starts from the first parent and takes each gene (every factor and n̂) from
///   the second with probability p; retried up to `maxTries` times until the child is
///   monotonic and new, else nil (the caller mutates the first parent instead, as the
///   repository does).
struct FactorEvolution {
    let space: SearchSpace
    let probability: Double
    let maxTries: Int
    /// Attempts before a mutation gives up (only when the space around the parent is exhausted).
    static let mutationAttempts = 200

    func mutate(_ parent: FactorCandidate, rng: inout SeededGenerator, history: Set<FactorCandidate>) -> FactorCandidate? {
        let last = parent.factors.count - 1
        for _ in 0..<FactorEvolution.mutationAttempts {
            var child = parent
            for i in 0...last where rng.uniform() < probability {
                let lo = i == 0 ? 1 : child.factors[i - 1]
                let hi = i == last ? space.maxFactor : child.factors[i + 1]
                if let v = space.gridValue(from: lo, to: hi, using: &rng) { child.factors[i] = v }
            }
            if rng.uniform() < probability {
                child.nhat = SearchSpace.nhatChoices[rng.int(below: SearchSpace.nhatChoices.count)]
            }
            if child != parent && child.isMonotonic && !history.contains(child) { return child }
        }
        return nil
    }

    func crossover(_ a: FactorCandidate, _ b: FactorCandidate, rng: inout SeededGenerator,
                   history: Set<FactorCandidate>) -> FactorCandidate? {
        guard a != b else { return nil }
        for _ in 0..<maxTries {
            var child = a
            for i in child.factors.indices where rng.uniform() < probability { child.factors[i] = b.factors[i] }
            if rng.uniform() < probability { child.nhat = b.nhat }
            if child.isMonotonic && !history.contains(child) && child != a { return child }
        }
        return nil
    }
}
