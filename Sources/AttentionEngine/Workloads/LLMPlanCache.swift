import Synchronization

/// The `llm` workload's rotary pairs and per-head plans (`LLMKeyPlan`, `LLMQueryPlan`) for
/// one (seed, shape), built on first use and shared by every later fill of that head.
///
/// Inputs are generated in pieces (256 rows per head and piece, single rows for a streamed
/// run's sampled reference rows), and a plan costs as much as generating dozens of rows
/// (Gram–Schmidt of the ~35 feature directions, the slash kernel's peak), so building it per
/// piece repeated that work for every piece. Holds one (seed, shape) at a time, O(heads·d·topics)
/// numbers; a fill with another seed or shape replaces it. Plans are built under the lock, once.
final class LLMPlanCache: Sendable {
    private struct Scope: Equatable {
        var seed: UInt64
        var heads: Int
        var kvHeads: Int
        var headDim: Int
    }

    private struct Entries {
        var scope: Scope
        var pairs: RotaryPairs
        var keys: [Int: LLMKeyPlan] = [:]
        var queries: [Int: LLMQueryPlan] = [:]
    }

    private let entries = Mutex<Entries?>(nil)

    /// The pairs, kv head `kvHead`'s key plan and, for `queryHead`, that query head's plan.
    func plans(for workload: LLMWorkload, seed: UInt64, shape: AttentionShape, kvHead: Int,
               queryHead: Int?) -> (pairs: RotaryPairs, keys: LLMKeyPlan, query: LLMQueryPlan?) {
        let scope = Scope(seed: seed, heads: shape.heads, kvHeads: shape.kvHeads, headDim: shape.headDim)
        return entries.withLock { cached in
            if cached?.scope != scope { cached = Entries(scope: scope, pairs: workload.pairs(dim: shape.headDim)) }
            let pairs = cached!.pairs
            let keys = cached!.keys[kvHead] ?? LLMKeyPlan(seed: seed, kvHead: kvHead, pairs: pairs, parameters: workload.parameters)
            cached!.keys[kvHead] = keys
            var query: LLMQueryPlan?
            if let h = queryHead {
                query = cached!.queries[h] ?? LLMQueryPlan(seed: seed, head: h, keys: keys, pairs: pairs, parameters: workload.parameters)
                cached!.queries[h] = query
            }
            return (pairs, keys, query)
        }
    }
}
