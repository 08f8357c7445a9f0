import Foundation

/// The rotary scalings attnscope knows, by the names used in method keys and `rope show`.
public enum RopeScalingKind: String, Sendable, CaseIterable, Codable {
    /// Standard RoPE, no scaling.
    case none
    /// Position interpolation (transformers' `linear`).
    case pi
    /// NTK-aware base change for a fixed target length.
    case ntk
    /// NTK-aware base change following the current length (transformers' `dynamic`).
    case dynamicNTK = "dynamic-ntk"
    /// NTK-by-parts ramp plus temperature.
    case yarn
    /// Per-pair searched factors (transformers' `longrope`, Phi-3's `su`).
    case longrope
}

/// A rotary scaling with everything fixed except the sequence length it is applied at: the
/// model's head dim, base and trained length, the scaling's own settings, and where they came
/// from. `resolved(seq:style:)` turns it into the frequencies and attention factor used at N
/// tokens (`ScaledRope`).
public struct RopeScaling: Sendable, Equatable {
    public static let defaultOriginal = 4096
    public static let maxNhat = RunSpec.limits.seq.upperBound
    /// Lengths a scaling may name (L, L'), from keys, flags, factors files and configs.
    public static let lengths = 1...RunSpec.limits.seq.upperBound

    public var kind: RopeScalingKind
    public var headDim: Int
    public var base: Double
    /// L: the length the model was trained at.
    public var original: Int
    /// L': the length the scaling is made for; nil means the sequence it is applied to.
    public var target: Int?
    /// s stated by a config (`rope_scaling.factor`); nil means max(1, L'/L).
    public var scale: Double?
    /// LongRoPE's factors (kind `longrope` only).
    public var factors: LongRoPEFactors?
    /// n̂: leading positions that keep standard RoPE.
    public var nhat: Int = 0
    /// Overrides the scaling's own attention factor.
    public var attentionFactor: Double?
    public var yarn = YaRNOptions()
    /// Dynamic NTK's α (the config's `factor`); 1 gives s = N/L.
    public var dynamicAlpha: Double = 1
    /// The config file this came from, for messages.
    public var source: String?

    public init(kind: RopeScalingKind, headDim: Int, base: Double, original: Int = RopeScaling.defaultOriginal) {
        self.kind = kind
        self.headDim = headDim
        self.base = base
        self.original = original
    }

    /// s: how much longer than the trained length the scaling is made for (never below 1).
    public func extensionRatio(seq: Int) -> Double {
        scale ?? max(1, Double(target ?? seq) / Double(original))
    }

    /// The frequencies and attention factor at `seq` tokens. The attention factor depends on
    /// s, fixed by the target (a key, a factors file or a config); only without one is the
    /// target `seq` itself. Dynamic NTK's frequencies and LongRoPE's choice of short or long
    /// factors follow `seq` always.
    public func resolved(seq: Int, style: RopeSettings.Style) throws -> ScaledRope {
        let s = extensionRatio(seq: seq)
        let standard = RotaryEmbedding.standardInvFreq(headDim: headDim, base: base)
        var invFreq = standard
        var factor = 1.0
        var factorSet: String?
        switch kind {
        case .none:
            break
        case .pi:
            invFreq = PositionInterpolation.invFreq(headDim: headDim, base: base, scale: s)
        case .ntk:
            invFreq = NTKAwareScaling.invFreq(headDim: headDim, base: base, scale: s)
        case .dynamicNTK:
            let sN = NTKAwareScaling.dynamicScale(seq: seq, original: original, alpha: dynamicAlpha)
            invFreq = NTKAwareScaling.invFreq(headDim: headDim, base: base, scale: sN)
        case .yarn:
            invFreq = YaRNScaling.invFreq(headDim: headDim, base: base, original: original, scale: s, options: yarn)
            factor = YaRNScaling.attentionFactor(scale: s, options: yarn)
        case .longrope:
            guard let factors else { throw EngineError.usage("scaling=longrope needs factors=FILE, config=FILE or search=on") }
            try factors.check(headDim: headDim)
            let chosen = factors.factors(seq: seq, original: original)
            invFreq = LongRoPEScaling.invFreq(factors: chosen.values, headDim: headDim, base: base)
            factor = LongRoPEScaling.attentionFactor(scale: s, original: original)
            factorSet = chosen.set
        }
        try checkUsable(invFreq: invFreq, attentionFactor: attentionFactor ?? factor, scale: s, factorSet: factorSet)
        let embedding = RotaryEmbedding(invFreq: invFreq, attentionFactor: attentionFactor ?? factor, style: style,
                                        prefixPositions: nhat, prefixInvFreq: nhat > 0 ? standard : [])
        return ScaledRope(scaling: self, seq: seq, scale: s, embedding: embedding, standardInvFreq: standard, factorSet: factorSet)
    }
}

/// A scaling resolved at one sequence length: what the rotation uses and what it means.
public struct ScaledRope: Sendable {
    public var scaling: RopeScaling
    public var seq: Int
    /// s, the extension ratio the attention factor was computed from.
    public var scale: Double
    public var embedding: RotaryEmbedding
    public var standardInvFreq: [Double]
    /// `long` or `short` for LongRoPE, nil otherwise.
    public var factorSet: String?

    /// The per-pair factor this scaling amounts to, λ_i = standard / scaled frequency
    /// (PI: s everywhere; NTK: s^(2i/(d−2)); LongRoPE: its factors).
    public var factors: [Double] { zip(standardInvFreq, embedding.invFreq).map { $0 / $1 } }

    /// Standard RoPE with the same base and pairing: what the model was trained with.
    public var standardEmbedding: RotaryEmbedding { RotaryEmbedding(invFreq: standardInvFreq, style: embedding.style) }

    /// Where each pair's angles land at `seq` compared with the original length.
    public var range: RotaryRange {
        RotaryRange(invFreq: embedding.invFreq, standardInvFreq: standardInvFreq, original: scaling.original, seq: seq)
    }
}
