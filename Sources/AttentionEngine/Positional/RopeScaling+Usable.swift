extension RopeScaling {
    /// Refuses a rotation whose frequencies or attention factor are not finite and positive.
    /// Inputs that are each valid can still overflow together: a factor of 1e-320 makes
    /// 1/λ infinite (every output NaN), a factor of 1e308 or NTK's base·s^(d/(d−2)) from a
    /// huge base makes a frequency 0 (a pair that never turns), L = 1 makes LongRoPE's
    /// sqrt(1 + ln s / ln L) infinite. From a file it is bad input (exit 65, naming the file
    /// and, for LongRoPE, the factor); from keys and flags, bad usage (exit 64).
    func checkUsable(invFreq: [Double], attentionFactor: Double, scale: Double, factorSet: String?) throws {
        let file = source ?? factors?.source
        func refuse(_ what: String) -> EngineError {
            file.map { .data("\($0): \(what)") } ?? .usage("scaling=\(kind.rawValue): \(what)")
        }
        if let i = invFreq.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            let why = "makes pair \(i)'s inverse frequency \(invFreq[i]); every frequency must be finite and above 0"
            if let factors, let set = factorSet {
                let (list, field) = set == "long" ? (factors.long, factors.longField) : (factors.short ?? [], factors.shortField)
                if i < list.count { throw refuse("field '\(field)[\(i)]' = \(list[i]) \(why) (base \(base), head dim \(headDim))") }
            }
            throw refuse("\(kind.rawValue) at base \(base), head dim \(headDim), s = \(scale) \(why)")
        }
        guard attentionFactor.isFinite && attentionFactor > 0 else {
            throw refuse("the attention factor is \(attentionFactor) (s = \(scale), original length \(original)); it must be finite and positive")
        }
    }
}
