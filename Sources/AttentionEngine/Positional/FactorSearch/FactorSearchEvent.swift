/// What a running factor search reports, in order, on the thread that called `run`: each
/// seed's score, then one `generation` per generation (0 = the initial population) with the
/// best and median score, and a `dropped` whenever the objective could not score a
/// candidate. `rope search` prints them; the `longrope` method turns generations into run
/// progress.
public enum FactorSearchEvent: Sendable, Equatable {
    /// A starting point (pi, ntk, yarn) and its score, nil if the objective failed on it.
    case seed(name: String, score: Double?)
    case generation(SearchGeneration)
    /// A candidate the objective could not score, with the reason; it is left out.
    case dropped(candidate: FactorCandidate, reason: String)
}

/// The population after one generation.
public struct SearchGeneration: Sendable, Equatable {
    /// 0 for the initial population, then 1 … generations.
    public var index: Int
    /// Lowest score in the population.
    public var best: Double
    /// Median score of the population.
    public var median: Double
    /// Candidates scored so far, and of them dropped, since the search started.
    public var evaluated: Int
    public var dropped: Int
}
