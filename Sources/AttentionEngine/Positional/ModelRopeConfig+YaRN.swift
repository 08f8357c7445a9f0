extension ModelRopeConfig {
    /// YaRN's optional settings from `rope_scaling`, refused (exit 65, naming the field) where
    /// they leave the ramp or the attention factor without a value: every output would be NaN.
    ///
    /// - `beta_fast`, `beta_slow` are numbers of turns within L; a ramp end sits at
    ///   ln(L / (2π·β)), which needs β > 0. (transformers' `get(…) or 32` reads 0 as unset
    ///   and a negative β fails in `math.log`; attnscope refuses both.)
    /// - `beta_fast` < `beta_slow` turns the ramp around (fast pairs interpolated, slow ones
    ///   kept); transformers warns about it, attnscope refuses it.
    /// - `mscale` / `mscale_all_dim` (both non-zero) divide two temperatures; the quotient must
    ///   be finite and positive unless `attention_factor` overrides it.
    static func readYaRN(_ params: [String: Any], scale: Double, attentionFactorStated: Bool,
                         reader: JSONFieldReader, field: (String) -> String) throws -> YaRNOptions {
        var options = YaRNOptions()
        let betas: [(String, WritableKeyPath<YaRNOptions, Double>)] = [("beta_fast", \.betaFast), ("beta_slow", \.betaSlow)]
        for (name, path) in betas {
            guard let beta = try reader.number(params[name], field: field(name)) else { continue }
            guard beta > 0 else { throw reader.fail(field(name), "= \(beta) must be positive (a number of turns within the original length)") }
            options[keyPath: path] = beta
        }
        guard options.betaFast >= options.betaSlow else {
            throw reader.fail(field("beta_fast"), "= \(options.betaFast) is below \(field("beta_slow")) = \(options.betaSlow): "
                + "pairs turning beta_fast times or more keep their frequency and those under beta_slow are interpolated, so beta_fast must be the larger")
        }
        options.truncate = try reader.boolean(params["truncate"], field: field("truncate")) ?? true
        options.mscale = try reader.number(params["mscale"], field: field("mscale"))
        options.mscaleAllDim = try reader.number(params["mscale_all_dim"], field: field("mscale_all_dim"))
        let factor = YaRNScaling.attentionFactor(scale: scale, options: options)
        if !attentionFactorStated, !(factor.isFinite && factor > 0), let m = options.mscale, let all = options.mscaleAllDim {
            throw reader.fail(field("mscale"), "= \(m) with \(field("mscale_all_dim")) = \(all) makes the attention factor \(factor) at s = \(scale) "
                + "((0.1·mscale·ln s + 1) / (0.1·mscale_all_dim·ln s + 1)); it must be finite and positive")
        }
        return options
    }
}
