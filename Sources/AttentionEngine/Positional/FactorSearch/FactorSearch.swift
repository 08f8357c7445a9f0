import Foundation

/// The search's sizes (the LongRoPE repository's defaults), all settable.
public struct FactorSearchSettings: Sendable, Equatable {
    public var population = 64
    public var generations = 40
    public var mutations = 16
    public var crossovers = 16
    public var parents = 32
    /// Per-gene probability of a mutation or of taking the second parent's gene.
    public var mutationProbability = 0.3
    public var maxCrossoverTries = 20
    public var seed: UInt64 = 1

    public init() {}

    public static let limits = (size: 1...100_000, generations: 0...100_000)

    /// `describe` writes a setting and its value the way a person typed it
    /// (`--population 2`, `method 'longrope': key 'population=2'`).
    public func validate(describe: (String, Int) -> String = { "--\($0) \($1)" }) throws {
        func check(_ ok: Bool, _ m: @autoclosure () -> String) throws { if !ok { throw EngineError.usage(m()) } }
        let sizes = [("population", population), ("mutations", mutations), ("crossovers", crossovers), ("parents", parents)]
        for (name, value) in sizes {
            try check(FactorSearchSettings.limits.size.contains(value), "\(describe(name, value)) is out of range: 1…\(FactorSearchSettings.limits.size.upperBound)")
        }
        try check(FactorSearchSettings.limits.generations.contains(generations), "\(describe("generations", generations)) is out of range: 0…\(FactorSearchSettings.limits.generations.upperBound)")
        try check(population >= 3, "\(describe("population", population)) must be at least 3 (the PI, NTK and YaRN seeds)")
        try check(parents <= population, "\(describe("parents", parents)) must not exceed the population (\(population))")
        try check(parents >= 2, "\(describe("parents", parents)) must be at least 2 (crossover needs two parents)")
        try check(mutationProbability > 0 && mutationProbability <= 1, "mutation probability \(mutationProbability) must be in (0, 1]")
    }
}

/// LongRoPE's evolutionary factor search (paper §3.2, repository `evolution/`):
///
/// 1. The initial population is the PI, NTK and YaRN factors for the target plus mutations
///    of them, `population` in all, each scored by the objective.
/// 2. Each generation keeps the `parents` best, adds `mutations` mutated parents and
///    `crossovers` children of two distinct parents (a failed crossover mutates its first
///    parent instead), and scores the new ones; every candidate is new (a history of all
///    candidates ever made is kept).
/// 3. After `generations` generations the best candidate wins.
///
/// Children are drawn from a seeded generator on the calling thread, so a search is
/// reproducible; they are scored in parallel on worker threads. A candidate the objective
/// cannot score is reported (`dropped`) and left out. Cancelling stops between
/// scorings and throws `EngineError.cancelled`.
public struct FactorSearch: Sendable {
    public var space: SearchSpace
    public var settings: FactorSearchSettings

    public init(space: SearchSpace, settings: FactorSearchSettings = .init()) {
        self.space = space
        self.settings = settings
    }

    public func run(objective: any SearchObjective, threads: Int, cancellation: CancellationFlag = CancellationFlag(),
                    onEvent: (FactorSearchEvent) -> Void = { _ in }) throws -> FactorSearchResult {
        try settings.validate()
        let evolution = FactorEvolution(space: space, probability: settings.mutationProbability, maxTries: settings.maxCrossoverTries)
        var rng = SeededGenerator(seed: settings.seed, stream: 0x4C6F_6E67_526F_5045)
        var history = Set<FactorCandidate>()
        var scorer = Scorer(objective: objective, threads: threads, cancellation: cancellation)

        // Initial population: the seeds, then mutations of them in turn.
        let seeds = try space.seeds()
        var initial: [FactorCandidate] = []
        for s in seeds where history.insert(s.candidate).inserted { initial.append(s.candidate) }
        var turn = 0
        while initial.count < settings.population && turn < settings.population * 4 {
            if let child = evolution.mutate(seeds[turn % seeds.count].candidate, rng: &rng, history: history) {
                history.insert(child)
                initial.append(child)
            }
            turn += 1
        }
        var population = try scorer.score(initial, onEvent)
        let seedScores = seeds.map { s in (s.name, s.candidate, population.first { $0.candidate == s.candidate }?.score) }
        for s in seedScores { onEvent(.seed(name: s.0, score: s.2)) }
        guard !population.isEmpty else {
            throw EngineError.data("objective \(objective.name) could not score any candidate of the initial population (first reason: \(scorer.firstFailure ?? "none"))")
        }
        var curve = [scorer.summary(index: 0, population)]
        onEvent(.generation(curve[0]))

        for g in 0..<settings.generations {
            try cancellation.checkCancelled()
            let parents = Array(population.sorted(by: Member.better).prefix(settings.parents))
            var children: [FactorCandidate] = []
            func add(_ c: FactorCandidate?) { if let c, history.insert(c).inserted { children.append(c) } }
            for _ in 0..<settings.mutations {
                add(evolution.mutate(parents[rng.int(below: parents.count)].candidate, rng: &rng, history: history))
            }
            for _ in 0..<settings.crossovers where parents.count >= 2 {
                let i = rng.int(below: parents.count)
                var j = rng.int(below: parents.count - 1)
                if j >= i { j += 1 }
                let (a, b) = (parents[min(i, j)].candidate, parents[max(i, j)].candidate)
                add(evolution.crossover(a, b, rng: &rng, history: history) ?? evolution.mutate(a, rng: &rng, history: history))
            }
            population = parents + (try scorer.score(children, onEvent))
            curve.append(scorer.summary(index: g + 1, population))
            onEvent(.generation(curve[curve.count - 1]))
        }
        let winner = population.sorted(by: Member.better)[0]
        return FactorSearchResult(space: space, objective: objective.name, best: winner.candidate, bestScore: winner.score,
                                  seeds: seedScores, curve: curve, evaluated: scorer.evaluated, dropped: scorer.dropped)
    }

    /// A scored candidate; `order` (creation order) breaks ties so sorting is deterministic.
    struct Member: Sendable {
        var candidate: FactorCandidate
        var score: Double
        var order: Int
        static func better(_ a: Member, _ b: Member) -> Bool { a.score != b.score ? a.score < b.score : a.order < b.order }
    }

    /// Scores batches of candidates on worker threads and keeps the counts.
    struct Scorer {
        let objective: any SearchObjective
        let threads: Int
        let cancellation: CancellationFlag
        var evaluated = 0
        var dropped = 0
        var firstFailure: String?

        init(objective: any SearchObjective, threads: Int, cancellation: CancellationFlag) {
            self.objective = objective
            self.threads = threads
            self.cancellation = cancellation
        }

        mutating func score(_ batch: [FactorCandidate], _ onEvent: (FactorSearchEvent) -> Void) throws -> [Member] {
            let outcomes = ResultSlots<ObjectiveOutcome>(count: batch.count)
            let (objective, cancellation) = (self.objective, self.cancellation)
            ParallelFor.run(count: batch.count, threads: threads) { n in
                outcomes.set(n, cancellation.isCancelled ? .failed("cancelled") : objective.evaluate(batch[n], cancellation: cancellation))
            }
            try cancellation.checkCancelled()
            var members: [Member] = []
            for (n, c) in batch.enumerated() {
                var outcome = outcomes.get(n) ?? .failed("not evaluated")
                if case .score(let x) = outcome, !x.isFinite { outcome = .failed("score \(x) is not finite") }
                switch outcome {
                case .score(let x):
                    members.append(Member(candidate: c, score: x, order: evaluated + n))
                case .failed(let reason):
                    dropped += 1
                    if firstFailure == nil { firstFailure = reason }
                    onEvent(.dropped(candidate: c, reason: reason))
                }
            }
            evaluated += batch.count
            return members
        }

        func summary(index: Int, _ population: [Member]) -> SearchGeneration {
            let sorted = population.sorted(by: Member.better)
            let n = sorted.count
            let median = n % 2 == 1 ? sorted[n / 2].score : (sorted[n / 2 - 1].score + sorted[n / 2].score) / 2
            return SearchGeneration(index: index, best: sorted[0].score, median: median,
                                    evaluated: evaluated, dropped: dropped)
        }
    }
}
