import ArgumentParser
import AttentionEngine
import Foundation

extension RopeScalingKind: ExpressibleByArgument {}

/// `attnscope rope`: inspect rotary scalings and search LongRoPE factors.
struct RopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rope",
        abstract: "Inspect rotary scalings (PI, NTK, YaRN, LongRoPE) and search LongRoPE factors.",
        subcommands: [RopeShowCommand.self, RopeSearchCommand.self])
}

/// The flags that name a scaling, shared by `rope show` (and read the same way as the
/// `longrope` method's keys).
struct RopeScalingOptions: ParsableArguments {
    @Option(help: "Scaling: \(RopeScalingKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: from --config or --factors, else none).")
    var scaling: RopeScalingKind?
    @Option(parsing: .unconditional, help: "L, the length the model was trained at (default 4096).") var original: Int?
    @Option(parsing: .unconditional, help: "L', the length the scaling is made for (default: --seq).") var target: Int?
    @Option(help: "LongRoPE factors: JSON list of d/2 factors, or {long_factor, short_factor, nhat}.") var factors: String?
    @Option(help: "A Hugging Face config.json (rope_scaling, rope_theta, lengths, head dim).") var config: String?
    @Option(parsing: .unconditional, help: "n̂: leading positions kept at standard RoPE.") var nhat: Int?
    @Option(name: .customLong("attention-factor"), parsing: .unconditional, help: "Override the scaling's attention factor.") var attentionFactor: Double?

    func request() throws -> RopeScalingRequest {
        try RopeScalingOptions.request(kind: scaling, original: original, target: target, factors: factors, config: config,
                                       nhat: nhat, attentionFactor: attentionFactor)
    }

    /// Checks the flags' ranges (exit 64, naming the flag) and reads the files they name (exit 65).
    static func request(kind: RopeScalingKind?, original: Int?, target: Int?, factors: String?, config: String?,
                        nhat: Int?, attentionFactor: Double?, search: Bool = false) throws -> RopeScalingRequest {
        for (flag, v) in [("--original", original), ("--target", target)] {
            if let v, !RopeScaling.lengths.contains(v) { throw EngineError.usage("\(flag) \(v) is out of range: 1…\(RopeScaling.lengths.upperBound)") }
        }
        if let n = nhat, !(0...RopeScaling.maxNhat).contains(n) { throw EngineError.usage("--nhat \(n) is out of range: 0…\(RopeScaling.maxNhat)") }
        if let a = attentionFactor, !(a > 0 && a.isFinite) { throw EngineError.usage("--attention-factor \(a) must be a positive number") }
        return try RopeScalingRequest(kind: kind, original: original, target: target, factorsFile: factors,
                                      configFile: config, nhat: nhat, attentionFactor: attentionFactor, search: search)
    }
}

/// Writes warnings (e.g. decreasing factors) on stderr.
func printWarnings(_ warnings: [String]) {
    for w in warnings { StandardStreams.error("attnscope: warning: \(w)\n") }
}
