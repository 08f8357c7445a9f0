/// One variant's measured result: the columns of DESIGN.md §2, then the method's extras.
public struct ResultRow: Sendable, Equatable {
    public var label: String
    public var method: String
    public var seq: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var causal: Bool
    public var workload: String
    public var seed: UInt64
    /// Median and minimum wall time of the timed repeats, milliseconds.
    public var latencyMs: Double
    public var latencyMsMin: Double
    public var flops: Int
    public var denseFlops: Int
    public var rmse: Double
    public var maxAbsErr: Double
    public var relL2Err: Double
    /// Query rows per head the error figures were measured on.
    public var referenceRows: Int
    public var recall: Double
    public var memoryBytes: Int
    public var threads: Int
    public var extras: [ResultExtra]

    public init(label: String, method: String, seq: Int, heads: Int, kvHeads: Int, headDim: Int, causal: Bool,
                workload: String, seed: UInt64, latencyMs: Double, latencyMsMin: Double, flops: Int, denseFlops: Int,
                rmse: Double, maxAbsErr: Double, relL2Err: Double, referenceRows: Int, recall: Double,
                memoryBytes: Int, threads: Int, extras: [ResultExtra]) {
        self.label = label; self.method = method; self.seq = seq; self.heads = heads; self.kvHeads = kvHeads
        self.headDim = headDim; self.causal = causal; self.workload = workload; self.seed = seed
        self.latencyMs = latencyMs; self.latencyMsMin = latencyMsMin; self.flops = flops; self.denseFlops = denseFlops
        self.rmse = rmse; self.maxAbsErr = maxAbsErr; self.relL2Err = relL2Err; self.referenceRows = referenceRows
        self.recall = recall; self.memoryBytes = memoryBytes; self.threads = threads; self.extras = extras
    }

    /// GFLOP/s at the median latency, counting the FLOPs the method performed.
    public var gflops: Double { latencyMs > 0 ? Double(flops) / (latencyMs * 1e6) : 0 }
    /// 1 − flops / dense_flops.
    public var flopsSaved: Double { denseFlops > 0 ? 1 - Double(flops) / Double(denseFlops) : 0 }

    /// A cell of a row: numbers keep full precision; formatting is the sink's business.
    public enum Value: Sendable, Equatable {
        case text(String), int(Int), number(Double), bool(Bool), list([String]), numbers([Double])
    }

    public static let standardColumns = [
        "label", "method", "seq", "heads", "kv_heads", "head_dim", "causal", "workload", "seed",
        "latency_ms", "latency_ms_min", "gflops", "flops", "dense_flops", "flops_saved", "rmse",
        "max_abs_err", "rel_l2_err", "reference_rows", "recall", "memory_bytes", "threads",
    ]

    /// Every column in order: the standard ones, then the extras.
    public var fields: [(name: String, value: Value)] {
        var f: [(String, Value)] = [
            ("label", .text(label)), ("method", .text(method)), ("seq", .int(seq)), ("heads", .int(heads)),
            ("kv_heads", .int(kvHeads)), ("head_dim", .int(headDim)), ("causal", .bool(causal)),
            ("workload", .text(workload)), ("seed", .text(String(seed))), ("latency_ms", .number(latencyMs)),
            ("latency_ms_min", .number(latencyMsMin)), ("gflops", .number(gflops)), ("flops", .int(flops)),
            ("dense_flops", .int(denseFlops)), ("flops_saved", .number(flopsSaved)), ("rmse", .number(rmse)),
            ("max_abs_err", .number(maxAbsErr)), ("rel_l2_err", .number(relL2Err)),
            ("reference_rows", .int(referenceRows)), ("recall", .number(recall)),
            ("memory_bytes", .int(memoryBytes)), ("threads", .int(threads)),
        ]
        for e in extras {
            switch e.value {
            case .number(let x): f.append((e.name, .number(x)))
            case .text(let s): f.append((e.name, .text(s)))
            case .perHead(let l): f.append((e.name, .list(l)))
            case .perHeadNumbers(let xs), .series(let xs): f.append((e.name, .numbers(xs)))
            }
        }
        return f
    }

    public func value(of column: String) -> Value? { fields.first { $0.name == column }?.value }
}
