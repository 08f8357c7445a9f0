import Foundation

/// The outcome of a factor search: the best candidate, how the seeds scored, the curve.
public struct FactorSearchResult: Sendable {
    public var space: SearchSpace
    public var objective: String
    public var best: FactorCandidate
    public var bestScore: Double
    /// PI, NTK and YaRN with their scores (nil when the objective failed on one).
    public var seeds: [(name: String, candidate: FactorCandidate, score: Double?)]
    /// One entry per generation, 0 first.
    public var curve: [SearchGeneration]
    public var evaluated: Int
    public var dropped: Int

    /// The best factors as a factors file (`factors=` reads `long_factor` and `nhat`; the rest
    /// records how they were found). `compared` adds other factor sets scored the same way,
    /// under distinct names (`rope search` makes them so).
    public func json(compared: [(name: String, score: Double?)] = []) throws -> Data {
        func value(_ x: Double?) -> Any { x.map { $0.isFinite ? $0 as Any : NSNull() } ?? NSNull() }
        var object = space.factorsFileFields(for: best)
        object.merge([
            "objective": objective, "score": value(bestScore), "ood_dims": space.range(for: best).oodDims.count,
            "seeds": Dictionary(seeds.map { ($0.name, value($0.score)) }, uniquingKeysWith: { a, _ in a }),
            "curve": curve.map { ["generation": $0.index, "best": value($0.best), "median": value($0.median),
                                  "evaluated": $0.evaluated, "dropped": $0.dropped] as [String: Any] },
            "evaluated": evaluated, "dropped": dropped,
        ]) { _, new in new }
        if !compared.isEmpty {
            object["compared"] = Dictionary(compared.map { ($0.name, value($0.score)) }, uniquingKeysWith: { a, _ in a })
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) + Data("\n".utf8)
    }
}
