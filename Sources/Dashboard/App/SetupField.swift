import AttentionEngine

/// The fields of the Setup panel, in display order: each knows how to show itself, how a
/// typed value is checked (with a message naming the allowed range), and how ←/→ change it.
public enum SetupField: Int, CaseIterable, Sendable {
    case seq, heads, kvHeads, headDim, causal, workload, seed, rope, threads, repeats, warmup, referenceRows

    public var label: String {
        switch self {
        case .seq: "sequence N"
        case .heads: "heads H"
        case .kvHeads: "kv heads G"
        case .headDim: "head dim d"
        case .causal: "causal"
        case .workload: "workload"
        case .seed: "seed"
        case .rope: "rope"
        case .threads: "threads"
        case .repeats: "repeat"
        case .warmup: "warmup"
        case .referenceRows: "reference rows"
        }
    }

    /// Enumerations are only cycled with ←/→; the other fields are typed.
    public var isChoice: Bool { self == .causal || self == .workload || self == .rope }

    /// Fields the shape of `--inputs` files decides.
    var isShape: Bool { [.seq, .heads, .kvHeads, .headDim, .workload].contains(self) }

    public func text(_ s: RunSpec) -> String {
        if isShape, s.inputs != nil { return self == .workload ? "files" : "from files" }
        switch self {
        case .seq: return ReadableNumbers.grouped(s.seq)
        case .heads: return String(s.heads)
        case .kvHeads: return String(s.kvHeads)
        case .headDim: return String(s.headDim)
        case .causal: return s.causal ? "yes" : "no"
        case .workload: return s.workload.rawValue
        case .seed: return String(s.seed)
        case .rope: return s.rope?.rawValue ?? "auto (\(s.ropeSettings.mode.rawValue))"
        case .threads: return String(s.threads)
        case .repeats: return String(s.repeat)
        case .warmup: return String(s.warmup)
        case .referenceRows: return s.referenceRows.text
        }
    }

    /// The text an edit starts from (numbers without separators).
    public func editText(_ s: RunSpec) -> String { self == .seq ? String(s.seq) : text(s) }

    /// What may be typed, for messages.
    public var allowed: String {
        let l = RunSpec.limits
        switch self {
        case .seq: return "a whole number in \(l.seq.lowerBound)…\(ReadableNumbers.grouped(l.seq.upperBound))"
        case .heads, .kvHeads: return "a whole number in \(l.heads.lowerBound)…\(l.heads.upperBound)"
        case .headDim: return "a whole number in \(l.headDim.lowerBound)…\(l.headDim.upperBound)"
        case .seed: return "a whole number in 0…\(UInt64.max)"
        case .threads: return "a whole number in \(l.threads.lowerBound)…\(l.threads.upperBound)"
        case .repeats: return "a whole number in \(l.repeats.lowerBound)…\(ReadableNumbers.grouped(l.repeats.upperBound))"
        case .warmup: return "a whole number in 0…1000"
        case .referenceRows: return "auto, all, or a whole number of rows ≥ 1"
        case .causal: return "yes or no"
        case .workload: return WorkloadKind.allCases.map(\.rawValue).joined(separator: ", ")
        case .rope: return "auto, " + RopeSettings.Mode.allCases.map(\.rawValue).joined(separator: ", ")
        }
    }

    /// The spec with this field set from typed text; the error says what is wrong and what is allowed.
    public func applying(_ raw: String, to spec: RunSpec) throws -> RunSpec {
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
        var s = spec
        func int(_ range: ClosedRange<Int>) throws -> Int {
            guard let n = Int(text), range.contains(n) else { throw bad(raw) }
            return n
        }
        let l = RunSpec.limits
        switch self {
        case .seq: s.seq = try int(l.seq)
        case .heads: s.heads = try int(l.heads)
        case .kvHeads: s.kvHeads = try int(l.heads)
        case .headDim: s.headDim = try int(l.headDim)
        case .seed:
            guard let v = UInt64(text) else { throw bad(raw) }
            s.seed = v
        case .threads: s.threads = try int(l.threads)
        case .repeats: s.repeat = try int(l.repeats)
        case .warmup: s.warmup = try int(0...1000)
        case .referenceRows:
            guard let v = try? ReferenceRows(parsing: text) else { throw bad(raw) }
            s.referenceRows = v
        case .causal, .workload, .rope:
            throw EngineError.usage("\(label) is chosen with ←/→: \(allowed)")
        }
        return s
    }

    /// ←/→: the next or previous choice, or a step of a number (N doubles and halves,
    /// H moves by multiples of G, G through the divisors of H).
    public func stepped(_ spec: RunSpec, by direction: Int) -> RunSpec {
        var s = spec
        let up = direction > 0
        switch self {
        case .causal, .workload, .rope:
            let options = choices(spec)
            let i = options.firstIndex { text($0) == text(spec) } ?? 0
            return options[(i + (up ? 1 : options.count - 1)) % options.count]
        case .seq: s.seq = up ? spec.seq * 2 : max(1, spec.seq / 2)
        case .heads: s.heads = max(spec.kvHeads, spec.heads + (up ? spec.kvHeads : -spec.kvHeads))
        case .kvHeads:
            let divisors = (1...max(1, spec.heads)).filter { spec.heads % $0 == 0 }
            s.kvHeads = up ? divisors.first { $0 > spec.kvHeads } ?? spec.kvHeads
                           : divisors.last { $0 < spec.kvHeads } ?? spec.kvHeads
        case .headDim: s.headDim = max(1, spec.headDim + (up ? 16 : -16))
        case .seed: s.seed = up ? spec.seed &+ 1 : spec.seed &- 1
        case .threads: s.threads = max(1, spec.threads + (up ? 1 : -1))
        case .repeats: s.repeat = max(1, spec.repeat + (up ? 1 : -1))
        case .warmup: s.warmup = max(0, spec.warmup + (up ? 1 : -1))
        case .referenceRows:
            let options: [ReferenceRows] = [.automatic, .all, .count(16), .count(64), .count(256), .count(1024)]
            let i = options.firstIndex(of: spec.referenceRows) ?? 0
            s.referenceRows = options[(i + (up ? 1 : options.count - 1)) % options.count]
        }
        return s
    }

    /// Every value of an enumeration field, as whole specs.
    func choices(_ spec: RunSpec) -> [RunSpec] {
        var out: [RunSpec] = []
        switch self {
        case .causal: for v in [true, false] { var s = spec; s.causal = v; out.append(s) }
        case .workload: for v in WorkloadKind.allCases { var s = spec; s.workload = v; out.append(s) }
        case .rope: for v in [nil] + RopeSettings.Mode.allCases.map(Optional.some) { var s = spec; s.rope = v; out.append(s) }
        default: out = [spec]
        }
        return out
    }

    func bad(_ raw: String) -> EngineError {
        .usage("\(label): '\(raw)' is not allowed; expected \(allowed)")
    }
}
