import ArgumentParser
import AttentionEngine
import Foundation

/// `attnscope rope search`: LongRoPE's evolutionary factor search on the Q/K of a run setup,
/// printing each generation's best and median score as it goes and writing the best
/// factors as JSON that `longrope:factors=FILE` reads.
struct RopeSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search LongRoPE factors (PI/NTK/YaRN seeds, evolution) on a run setup's Q/K; write the best as JSON.",
        discussion: """
            The Q/K come from the same setup flags as `attnscope run` (--workload, --seq, --heads, --head-dim, --seed, --inputs, --preset …): --seq is how much content the proxy reads, --target the length the factors are searched for. Each generation's best and median score go to stderr.

            Example: attnscope rope search --head-dim 96 --heads 4 --seq 8192 --original 4096 --target 131072 --compare presets/data/phi35_longrope_factors.json --output best.json
            """)

    @OptionGroup var setup: RunOptions
    @Option(parsing: .unconditional, help: "L, the length the model was trained at (default 4096, or --config's).") var original: Int?
    @Option(parsing: .unconditional, help: "L', the length to search factors for (default: --config's extended length, else --seq).") var target: Int?
    @Option(help: "A Hugging Face config.json giving rope_theta, the head dim and L (its rope scaling, if any, is not used).") var config: String?
    @Option(name: .customLong("attention-factor"), parsing: .unconditional, help: "Override LongRoPE's attention factor sqrt(1 + ln s / ln L).") var attentionFactor: Double?
    @Option(parsing: .unconditional, help: "Population size.") var population: Int?
    @Option(parsing: .unconditional, help: "Generations.") var generations: Int?
    @Option(parsing: .unconditional, help: "Mutations per generation.") var mutations: Int?
    @Option(parsing: .unconditional, help: "Crossovers per generation.") var crossovers: Int?
    @Option(parsing: .unconditional, help: "Parents kept per generation.") var parents: Int?
    @Option(help: "proxy, or command:CMD (candidate JSON on stdin, one number on stdout, lower is better).") var objective = "proxy"
    @Option(parsing: .unconditional, help: "Seconds one command evaluation may take.") var timeout: Double = 60
    @Option(name: .customLong("fidelity-rows"), parsing: .unconditional, help: "Query rows per head the proxy samples.") var fidelityRows = ProxyObjective.defaultRowsPerHead
    @Option(name: .customLong("ood-weight"), parsing: .unconditional, help: "Proxy weight of the out-of-distribution overshoot.") var oodWeight = 1.0
    @Option(help: "Also score these factor files the same way (repeatable).") var compare: [String] = []
    @Option(help: "Write the best factors (and the curve) as JSON to FILE, or - for stdout (as --json).") var output: String?
    @Flag(help: "Print the result JSON on stdout instead of the summary.") var json = false

    func run() throws {
        do {
            // `-` is stdout, as for `run`'s sinks; a file is checked before the search, not after it.
            let file = output == "-" ? nil : output
            if let file { try AtomicFile.checkDestination(file) }
            let (space, settings, inputs, threads) = try prepare()
            let choice = try ObjectiveChoice(parsing: objective, what: "--objective")
            let objective = try choice.objective(space: space, content: inputs, timeout: timeout, threads: threads,
                                             rowsPerHead: fidelityRows, oodWeight: oodWeight)
            let compared = try zip(compare, RopeSearchCommand.names(compared: compare)).map { path, name -> (name: String, candidate: FactorCandidate) in
                let f = try FactorFile.load(path)
                try f.check(headDim: space.headDim)
                // Refuses factors that overflow a frequency at the target (exit 65), which would score NaN.
                _ = try space.scaling(f).resolved(seq: space.target, style: space.style)
                printWarnings(f.warnings)
                return (name, FactorCandidate(factors: f.factors(seq: space.target, original: space.original).values, nhat: f.nhat ?? 0))
            }
            let cancellation = CancellationFlag()
            let interrupt = InterruptHandler { cancellation.cancel() }
            defer { interrupt.restore() }
            let result = try FactorSearch(space: space, settings: settings)
                .run(objective: objective, threads: threads, cancellation: cancellation, onEvent: RopeSearchCommand.log)
            let comparedScores = compared.map { c -> (name: String, candidate: FactorCandidate, score: Double?) in
                if case .score(let x) = objective.evaluate(c.candidate, cancellation: cancellation) { return (c.name, c.candidate, x) }
                return (c.name, c.candidate, nil)
            }
            let data = try result.json(compared: comparedScores.map { ($0.name, $0.score) })
            if let file { try AtomicFile.write(data, to: file) }
            if json || output == "-" {
                StandardStreams.output(data)
            } else {
                StandardStreams.output(RopeSearchCommand.summary(result, compared: comparedScores, objective: objective))
            }
        } catch {
            throw reportedExit(error)
        }
    }

    func prepare() throws -> (SearchSpace, FactorSearchSettings, AttentionInputs, Int) {
        try setup.rejectRunOnlyFlags(in: "rope search")
        let spec = try setup.spec()
        guard timeout > 0, timeout.isFinite else { throw EngineError.usage("--timeout \(timeout) must be a positive number of seconds") }
        guard fidelityRows >= 1 else { throw EngineError.usage("--fidelity-rows \(fidelityRows) must be at least 1") }
        guard oodWeight >= 0, oodWeight.isFinite else { throw EngineError.usage("--ood-weight \(oodWeight) must be a non-negative number") }
        var settings = FactorSearchSettings()
        settings.population = population ?? settings.population
        settings.generations = generations ?? settings.generations
        settings.mutations = mutations ?? settings.mutations
        settings.crossovers = crossovers ?? settings.crossovers
        settings.parents = parents ?? settings.parents
        settings.seed = spec.seed
        try settings.validate()
        let request = try RopeScalingOptions.request(kind: .longrope, original: original, target: target, factors: nil,
                                                     config: config, nhat: nil, attentionFactor: attentionFactor, search: true)
        let inputs = try InputPreparation.prepare(spec)
        let space = try SearchSpace(request: request, headDim: inputs.headDim, base: spec.ropeBase,
                                    style: spec.ropeStyle, seq: inputs.seq)
        return (space, settings, inputs, spec.threads)
    }

    /// What the summary and the JSON's `compared` call each `--compare` file: its name without
    /// the extension, or, when two files share that name (`a/x.json`, `b/x.json`), every
    /// path as given, so no score is lost. A path given twice is refused (exit 64).
    static func names(compared paths: [String]) throws -> [String] {
        if let twice = paths.enumerated().first(where: { i, p in paths[..<i].contains(p) })?.element {
            throw EngineError.usage("--compare \(twice) is given twice")
        }
        let stems = paths.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        return Set(stems).count == stems.count ? stems : paths
    }

    /// Progress on stderr: seeds, one line per generation, dropped candidates.
    static func log(_ event: FactorSearchEvent) {
        let line: String
        switch event {
        case .seed(let name, let score): line = "seed \(name): \(score.map(g) ?? "failed")"
        case .generation(let s):
            line = "generation \(s.index): best \(g(s.best)) median \(g(s.median)) (evaluated \(s.evaluated), dropped \(s.dropped))"
        case .dropped(let c, let reason): line = "dropped candidate (nhat \(c.nhat), first factors \(c.factors.prefix(3).map(g).joined(separator: " "))…): \(reason)"
        }
        StandardStreams.error(line + "\n")
    }

    static func summary(_ r: FactorSearchResult, compared: [(name: String, candidate: FactorCandidate, score: Double?)],
                        objective: any SearchObjective) -> String {
        let sp = r.space
        func describe(_ name: String, _ c: FactorCandidate, _ score: Double?) -> String {
            var text = "\(name.padding(toLength: 24, withPad: " ", startingAt: 0)) score \(score.map(g) ?? "failed")"
            text += "  ood_dims \(sp.range(for: c).oodDims.count)"
            if let proxy = objective as? ProxyObjective {
                let b = proxy.breakdown(c)
                text += "  local_fidelity \(g(1 - b.distance))  overshoot \(g(b.overshoot))"
            }
            return text + "\n"
        }
        var out = "objective \(r.objective)  head_dim \(sp.headDim)  base \(g(sp.base))  original \(sp.original)  "
            + "target \(sp.target)  s \(g(sp.scale))  attention_factor \(g(sp.attentionFactor))\n"
        for s in r.seeds { out += describe("seed " + s.name, s.candidate, s.score) }
        for c in compared { out += describe(c.name, c.candidate, c.score) }
        out += describe("best (nhat \(r.best.nhat))", r.best, r.bestScore)
        out += "after \(r.curve.count - 1) generations: \(r.evaluated) candidates scored, \(r.dropped) dropped\n"
        out += "factors " + r.best.factors.map(g).joined(separator: " ") + "\n"
        out += "generation  best  median\n"
        for s in r.curve { out += "\(s.index)  \(g(s.best))  \(g(s.median))\n" }
        return out
    }

    static func g(_ x: Double) -> String { String(format: "%.6g", x) }
}
