import AttentionEngine
import Foundation

/// What `attnscope structure` prints: a setup line, one row per head and a pooled row, and
/// (with feature keys) each class's mass and lift; or the same as JSON.
struct StructureReport {
    let spec: RunSpec
    let inputs: AttentionInputs
    let inputsMs: Double
    let features: LLMFeatureKeys?
    let structure: AttentionStructure

    /// The classes shown: none for files, the needle only when one was planted.
    var classes: [LLMFeatureKeys.KeyClass] {
        guard let features else { return [] }
        return LLMFeatureKeys.KeyClass.allCases.filter { $0 != .needle || features.needle != nil }
    }

    var source: String { spec.inputs.map { "inputs=\($0)" } ?? "workload=\(spec.workload.rawValue) seed=\(spec.seed)" }

    func text() -> String {
        let rows = structure.rows
        var out = "N=\(ReadableNumbers.grouped(inputs.seq)) H=\(inputs.heads) G=\(inputs.kvHeads) d=\(inputs.headDim) "
            + "\(inputs.causal ? "causal" : "non-causal") \(source) rope=\(spec.ropeSettings.mode.rawValue) "
            + "inputs made in \(ReadableNumbers.milliseconds(inputsMs)) ms\n"
            + "exact float64 attention on \(rows.count) rows per head (\(rows.first!)…\(rows.last!))\n\n"
        var table = [["head"] + (features == nil ? [] : ["llm kind"]) + ["entropy", "H/ln keys", "max p", "keys for 90%"]
            + classes.map(\.name)]
        func cells(_ s: AttentionStructure.Summary) -> [String] {
            [String(format: "%.2f", s.entropy), String(format: "%.3f", s.entropyShare), String(format: "%.3g", s.maxProbability),
             "\(plain(s.keysFor90)) (\(ReadableNumbers.grouped(s.keysFor90Min))–\(ReadableNumbers.grouped(s.keysFor90Max)))"]
                + classes.map { String(format: "%.3f", s.mass($0)!) }
        }
        for (h, s) in structure.perHead.enumerated() {
            table.append(["\(h)"] + (features.map { [$0.plans[h].kind.rawValue] } ?? []) + cells(s))
        }
        table.append(["all"] + (features == nil ? [] : [""]) + cells(structure.pooled))
        out += ResultTable.aligned(table)
        guard features != nil else { return out }
        out += "\nmass: mean share of each row's attention; lift: median over rows of mass per key vs an ordinary key "
            + "(\(features?.needle == nil ? "" : "needle, ")sink, window: vs the uniform share)\n"
        var lifts = [["class", "mass", "lift"]]
        for c in classes {
            let lift = structure.pooled.lift(c).map(plain) ?? "—"
            lifts.append([c.name, String(format: "%.4f", structure.pooled.mass(c)!), lift])
        }
        return out + ResultTable.aligned(lifts)
    }

    /// About 3 significant digits without an exponent: 0.86, 18.4, 5,290.
    func plain(_ x: Double) -> String {
        x >= 100 ? ReadableNumbers.grouped(Int(x.rounded())) : String(format: x >= 10 ? "%.1f" : "%.2f", x)
    }

    /// `{"setup": …, "rows": […], "pooled": {…}, "per_head": [{…}]}`, classes keyed by name.
    func json() throws -> Data {
        func summary(_ s: AttentionStructure.Summary, head: Int?) -> [String: Any] {
            var out: [String: Any] = [
                "rows": s.rows, "entropy_nats": s.entropy, "entropy_share": s.entropyShare, "max_probability": s.maxProbability,
                "keys_for_90": s.keysFor90, "keys_for_90_min": s.keysFor90Min, "keys_for_90_max": s.keysFor90Max,
            ]
            if let features {
                out["mass"] = Dictionary(uniqueKeysWithValues: classes.map { ($0.name, s.mass($0)!) })
                out["lift"] = Dictionary(uniqueKeysWithValues: classes.map { ($0.name, s.lift($0).map { $0 as Any } ?? NSNull()) })
                if let head { out["head"] = head; out["kind"] = features.plans[head].kind.rawValue }
            } else if let head {
                out["head"] = head
            }
            return out
        }
        var setup: [String: Any] = ["seq": inputs.seq, "heads": inputs.heads, "kv_heads": inputs.kvHeads, "head_dim": inputs.headDim,
                                    "causal": inputs.causal, "rope": spec.ropeSettings.mode.rawValue, "threads": spec.threads,
                                    "inputs_ms": inputsMs]
        if let path = spec.inputs { setup["inputs"] = path } else { setup["workload"] = spec.workload.rawValue; setup["seed"] = spec.seed }
        let doc: [String: Any] = [
            "setup": setup, "rows": structure.rows, "pooled": summary(structure.pooled, head: nil),
            "per_head": structure.perHead.enumerated().map { summary($1, head: $0) },
        ]
        return try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .prettyPrinted]) + Data("\n".utf8)
    }
}
