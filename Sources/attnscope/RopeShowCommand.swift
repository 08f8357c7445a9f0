import ArgumentParser
import AttentionEngine
import Foundation

/// `attnscope rope show`: the frequencies, periods, factors, attention factor and
/// out-of-distribution pairs of one scaling at one sequence length.
struct RopeShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print inv_freq, periods, factors, attention factor and OOD dims of a scaling at a sequence length.",
        discussion: """
            Examples:
              attnscope rope show --config config.json --seq 131072 --json
              attnscope rope show --scaling yarn --head-dim 128 --base 10000 --original 4096 --target 32768 --seq 32768
            """)

    @OptionGroup var scaling: RopeScalingOptions
    @Option(name: .customLong("head-dim"), parsing: .unconditional, help: "Head dimension d (default: the config's, else twice the factors' count, else 128).") var headDim: Int?
    @Option(parsing: .unconditional, help: "RoPE base θ (default: the config's rope_theta, else 10000).") var base: Double?
    @Option(parsing: .unconditional, help: "Sequence length N the scaling is applied at (default: --target, the config's max_position_embeddings, else --original).")
    var seq: Int?
    @Flag(help: "Print one JSON object instead of the table.") var json = false

    func run() throws {
        do {
            var request = try scaling.request()
            if let d = headDim, !(2...RunSpec.limits.headDim.upperBound).contains(d) {
                throw EngineError.usage("--head-dim \(d) is out of range: 2…\(RunSpec.limits.headDim.upperBound)")
            }
            if base != nil, request.config != nil { throw EngineError.usage("--base comes from the config's rope_theta; drop --base or --config") }
            if let b = base, !(b > 1 && b.isFinite) { throw EngineError.usage("--base \(b) must be a finite number above 1") }
            if let n = seq, !RunSpec.limits.seq.contains(n) { throw EngineError.usage("--seq \(n) is out of range: 1…\(RunSpec.limits.seq.upperBound)") }
            if request.kind == nil && request.factors == nil && request.config == nil { request.kind = RopeScalingKind.none }
            // A factor file holds one factor per rotary pair, so it states d as well.
            let impliedHeadDim = request.config?.headDim ?? request.factors.map { 2 * $0.long.count }
            let resolved = try request.scaling(headDim: headDim ?? impliedHeadDim ?? 128, base: base ?? 10_000)
            let n = seq ?? resolved.target ?? resolved.original
            let rope = try resolved.resolved(seq: n, style: .half)
            printWarnings(request.warnings)
            StandardStreams.output(json ? try RopeShowCommand.json(rope) : RopeShowCommand.table(rope))
        } catch {
            throw reportedExit(error)
        }
    }

    static func json(_ rope: ScaledRope) throws -> String {
        let s = rope.scaling, range = rope.range
        let pairs = rope.embedding.invFreq.indices
        // Factors that pass validation can still overflow a period (a factor of 1e308 makes a
        // frequency 0, its period infinite): such numbers are null, as in `run --json`.
        let number = ResultWriters.jsonNumber
        var object: [String: Any] = [
            "scaling": s.kind.rawValue, "head_dim": s.headDim, "base": s.base, "original": s.original,
            "target": s.target ?? rope.seq, "seq": rope.seq, "scale": number(rope.scale), "nhat": s.nhat,
            "attention_factor": number(rope.embedding.attentionFactor),
            "inv_freq": rope.embedding.invFreq.map(number), "factors": rope.factors.map(number),
            "periods": pairs.map { number(range.period($0)) }, "turns_in_original": pairs.map { number(range.turnsInOriginal($0)) },
            "ood_dims": range.oodDims.count, "ood_dim_indices": range.oodDims,
            "min_period_tokens": range.minInterpolatedPeriod.map(number) ?? NSNull(),
            "factor_set": rope.factorSet.map { $0 as Any } ?? NSNull(),
        ]
        if s.kind == .yarn {
            let r = YaRNScaling.ramp(headDim: s.headDim, base: s.base, original: s.original, options: s.yarn)
            object["yarn_ramp"] = [number(r.low), number(r.high)]
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func table(_ rope: ScaledRope) -> String {
        let s = rope.scaling, range = rope.range
        var out = "scaling \(s.kind.rawValue)\(rope.factorSet.map { " (\($0) factors)" } ?? "")  head_dim \(s.headDim)  base \(g(s.base))  "
            + "original \(s.original)  target \(s.target ?? rope.seq)  seq \(rope.seq)  nhat \(s.nhat)\n"
        out += "scale \(g(rope.scale))  attention_factor \(String(format: "%.10f", rope.embedding.attentionFactor))  "
            + "ood_dims \(range.oodDims.count)  min_period_tokens \(range.minInterpolatedPeriod.map(g) ?? "none")\n"
        if s.kind == .yarn {
            let r = YaRNScaling.ramp(headDim: s.headDim, base: s.base, original: s.original, options: s.yarn)
            out += "yarn ramp [\(g(r.low)), \(g(r.high))]\n"
        }
        var rows = [["pair", "factor", "inv_freq", "period", "turns_in_L", "ood"]]
        let factors = rope.factors  // computed from all pairs on each access: once, not per row
        for i in rope.embedding.invFreq.indices {
            rows.append([String(i), g(factors[i]), String(format: "%.6e", rope.embedding.invFreq[i]), g(range.period(i)),
                         g(range.turnsInOriginal(i)), range.overshoot(i) > 0 ? "OOD" : ""])
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            out += row.enumerated().map { c, cell in String(repeating: " ", count: widths[c] - cell.count) + cell }
                .joined(separator: "  ") + "\n"
        }
        return out
    }

    static func g(_ x: Double) -> String { String(format: "%.6g", x) }
}
