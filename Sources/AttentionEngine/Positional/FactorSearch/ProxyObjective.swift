/// The search's built-in objective: a stand-in for perplexity that needs no language model.
///
///     score = D + w · Σ_i overshoot_i            (lower is better)
///
/// - D, local infidelity: the mean total-variation distance between the candidate's
///   attention and standard RoPE's over the keys inside the original window L, for sampled
///   query rows of every head of the run's content Q/K (`LocalAttentionWindow`), with the
///   candidate's n̂ and attention factor applied. It rewards keeping short-range attention
///   as the model was trained to produce it. Rows are sampled from position 256 (the
///   largest n̂) on: earlier rows are a vanishing share of a long target sequence, and n̂
///   would make them exact for free, so a short content would over-reward large n̂.
/// - overshoot_i = ln(L'·θ_i / (L·θ_std,i)) for every pair that does not complete a full turn
///   within L and would, at the target length L', turn past the largest angle it reached in
///   training (`RotaryRange`); 0 otherwise. It punishes out-of-distribution angles. w = 1 by
///   default, so a pair left 10% short of the interpolation it needs costs about as much as
///   moving 10% of the local attention mass.
///
/// Why it stands in for perplexity: a RoPE model's perplexity at L' degrades for two reasons
/// the paper and YaRN identify: rotary angles never seen in training (the slow pairs at
/// long range) and loss of the positional resolution the model relies on for nearby tokens
/// (interpolating the fast pairs). The proxy measures exactly these two on the run's Q/K.
/// It cannot see what a model does with attention (values, later layers, the text), so its
/// optimum is the simplest schedule satisfying both, factors of 1 where no angle goes out of
/// range and ≥ s where it would; a real perplexity evaluator (`objective=command:`) is what
/// decides between schedules the proxy scores alike.
public struct ProxyObjective: SearchObjective {
    public static let defaultRowsPerHead = 8
    public let space: SearchSpace
    public let window: LocalAttentionWindow
    public var oodWeight: Double

    /// The proxy scores query rows past the leading positions a candidate may keep at
    /// standard RoPE (n̂ ≤ 256). With no more tokens than that, a candidate with n̂ ≥ N
    /// changes nothing it looks at and would score a perfect 0, so such content is refused.
    public static func check(seq: Int) throws {
        let nhat = SearchSpace.nhatChoices.max() ?? 0
        guard seq > nhat else {
            throw EngineError.usage("the factor search's proxy objective needs more than \(nhat) tokens of content (N = \(seq)): "
                + "it scores query rows past the \(nhat) leading positions a candidate may keep at standard RoPE (n̂), "
                + "so a candidate with n̂ ≥ N would win with a perfect 0; use a longer sequence or a command objective")
        }
    }

    /// `content` supplies the Q/K before rotation; `rowsPerHead` query rows of each head are sampled.
    public init(content: AttentionInputs, space: SearchSpace, rowsPerHead: Int = defaultRowsPerHead,
                oodWeight: Double = 1, threads: Int) {
        self.space = space
        self.oodWeight = oodWeight
        window = LocalAttentionWindow(content: content, window: space.original, rowsPerHead: rowsPerHead,
                                      firstRow: SearchSpace.nhatChoices.max() ?? 0, standard: RotaryEmbedding(invFreq: space.standardInvFreq, style: space.style),
                                      threads: threads)
    }

    public var name: String { "proxy" }

    /// The two terms and the resulting score of one candidate.
    public func breakdown(_ c: FactorCandidate) -> (distance: Double, overshoot: Double, oodDims: Int, score: Double) {
        let distance = window.distance(to: space.embedding(for: c), threads: 1)
        let range = space.range(for: c)
        let overshoot = range.totalOvershoot
        return (distance, overshoot, range.oodDims.count, distance + oodWeight * overshoot)
    }

    public func evaluate(_ candidate: FactorCandidate, cancellation: CancellationFlag) -> ObjectiveOutcome {
        .score(breakdown(candidate).score)
    }
}
