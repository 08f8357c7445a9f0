import Foundation

/// LongRoPE (Ding et al. 2024; transformers' `longrope`): one searched rescale factor per
/// rotary pair, and a fixed attention factor from the extension ratio s = L'/L:
///
///     invFreq_i = 1 / (λ_i · base^(2i/d))
///     attention factor = sqrt(1 + ln(s) / ln(L))   (1 when s ≤ 1)
///
/// A model ships two factor lists: `short` used while the sequence fits the original length
/// L, `long` beyond it.
public enum LongRoPEScaling {
    public static func invFreq(factors: [Double], headDim: Int, base: Double) -> [Double] {
        (0..<headDim / 2).map { 1 / (factors[$0] * pow(base, Double(2 * $0) / Double(headDim))) }
    }

    public static func attentionFactor(scale: Double, original: Int) -> Double {
        scale <= 1 ? 1 : (1 + log(scale) / log(Double(original))).squareRoot()
    }
}

/// A model's LongRoPE factors, from a factors file, a config or a search.
public struct LongRoPEFactors: Sendable, Equatable {
    /// Used when the sequence is longer than the original length.
    public var long: [Double]
    /// Used up to the original length; nil means 1 for every pair (standard RoPE).
    public var short: [Double]?
    /// n̂ stated by the file (a search result); nil when the file says nothing.
    public var nhat: Int?
    /// The lengths the factors were made for, L and L', when a factors file states them
    /// (`original_max_position_embeddings`, `max_position_embeddings`): they fix s, so the
    /// attention factor is the model's at every N, as in transformers.
    public var original: Int?
    public var target: Int?
    /// The attention factor the file states (`attention_factor`), used as the model's own.
    public var attentionFactor: Double?
    /// Where the factors came from, for messages (`factors FILE`, `config FILE`, `search`).
    public var source: String
    /// Field names as the source spells them, for messages.
    public var longField = "long_factor"
    public var shortField = "short_factor"
    /// Things worth telling the user that do not stop the run (e.g. decreasing factors).
    public var warnings: [String] = []

    public init(long: [Double], short: [Double]? = nil, nhat: Int? = nil, source: String) {
        self.long = long
        self.short = short
        self.nhat = nhat
        self.source = source
    }

    /// The factors that apply at `seq` tokens: long beyond the original length, short up to it.
    public func factors(seq: Int, original: Int) -> (values: [Double], set: String) {
        if seq > original { return (long, "long") }
        return (short ?? [Double](repeating: 1, count: long.count), "short")
    }

    /// Checks every list has one factor per rotary pair of a `headDim` head. Lists of two
    /// lengths are reported as such first: whichever the head dim was taken from, the other
    /// would be blamed alone.
    public func check(headDim: Int) throws {
        if let short, short.count != long.count {
            throw EngineError.data("\(source): fields '\(longField)' (\(long.count) entries) and '\(shortField)' (\(short.count) entries) "
                + "differ in length; each needs one factor per rotary pair")
        }
        for (field, list) in [(longField, long), (shortField, short)] {
            guard let list, list.count != headDim / 2 else { continue }
            throw EngineError.data("\(source): field '\(field)' has \(list.count) entries; head dim \(headDim) needs \(headDim / 2) (one per rotary pair)")
        }
    }
}
