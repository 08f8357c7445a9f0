/// One attention method with its parameters fixed (a "variant" once labelled).
///
/// A method lives in its own folder under Methods/ with its parameters type, this run
/// function and its FLOP count; adding one touches that folder and `MethodRegistry` only.
public protocol AttentionMethod: Sendable {
    /// Computes the method's output on `inputs`. Must count the FLOPs it actually
    /// performs, call `context.checkCancelled()` between tiles, and never allocate N×N.
    func run(_ inputs: AttentionInputs, context: RunContext) throws -> MethodOutput

    /// Called once per variant before its warmup and timed runs, and not timed: work that
    /// depends on the inputs but is not part of the method's per-call cost (LongRoPE's
    /// factor search and positional metrics). Returns the method to run; by default itself.
    func prepared(for inputs: AttentionInputs, context: RunContext) throws -> any AttentionMethod

    /// Bytes of whole copies of Q, K or V the method makes while it runs (rotated, rounded or
    /// re-laid-out operands), so the runner can refuse, before anything runs, a setup whose
    /// copies cannot fit beside the inputs. Per-worker scratch, O(threads·(N + tile)), is not
    /// counted; `memory_bytes` reports it after the run.
    func copyBytes(_ shape: AttentionShape) -> Int

    /// Refuses a setup the method cannot run (e.g. MInference without the causal mask,
    /// LongRoPE factors made for another head dim), so a run fails before any variant runs
    /// rather than after the ones before it; the dashboard instead skips such a variant.
    func check(_ shape: AttentionShape, causal: Bool, rope: RopeSettings) throws
}

extension AttentionMethod {
    /// Most methods run on every setup.
    public func check(_ shape: AttentionShape, causal: Bool, rope: RopeSettings) throws {}

    public func prepared(for inputs: AttentionInputs, context: RunContext) throws -> any AttentionMethod { self }
}

/// What a method hands back from one run.
public struct MethodOutput: Sendable {
    /// The attention output, [heads, seq, dim].
    public var output: HeadTensor
    /// Floating-point operations performed, counted by the code that performed them
    /// (a multiply-add counts 2; softmax and rescaling are not counted, as in FlashAttention's convention).
    public var flops: Int
    /// Working memory beyond Q, K, V and O (scratch tiles, indices, state).
    public var memoryBytes: Int
    /// Which keys each query row used; nil means every key the mask allows (exact methods).
    public var selection: (any KeySelection)?
    /// Share of entries computed per cell of a fixed grid, per head.
    public var coverage: CoverageMap?
    /// Share of entries per cell that reach the output only approximately, through a fixed-size
    /// summary of the keys instead of their exact scores (Infini-attention's compressive
    /// memory); nil for methods without such a path. Same grid as `coverage`.
    public var approximateCoverage: CoverageMap?
    /// Asks the runner for the error broken down by bands of query rows (e.g. per segment).
    public var errorBands: ErrorBands?
    /// Method-specific result columns, in display order.
    public var extras: [ResultExtra]

    public init(output: HeadTensor, flops: Int, memoryBytes: Int, selection: (any KeySelection)? = nil,
                coverage: CoverageMap? = nil, approximateCoverage: CoverageMap? = nil,
                errorBands: ErrorBands? = nil, extras: [ResultExtra] = []) {
        self.output = output
        self.flops = flops
        self.memoryBytes = memoryBytes
        self.selection = selection
        self.coverage = coverage
        self.approximateCoverage = approximateCoverage
        self.errorBands = errorBands
        self.extras = extras
    }
}

/// Consecutive bands of `rowsPerBand` query rows (the last may be shorter): the runner adds
/// a `column` extra whose element b is the rmse over the reference rows in band b (NaN when
/// no reference row falls in it).
public struct ErrorBands: Sendable, Equatable {
    public var column: String
    public var rowsPerBand: Int
    public init(column: String, rowsPerBand: Int) { self.column = column; self.rowsPerBand = rowsPerBand }
}

/// The keys a sparse method computed for a query row, so recall can be measured against
/// the exact softmax. Ranges are sorted, disjoint, and already respect the causal mask.
public protocol KeySelection: Sendable {
    func keyRanges(head: Int, row: Int) -> [Range<Int>]
}

/// A method-specific result column: a number, a text, one text or number per head, or a
/// series of numbers (indexed by what the column's name says, e.g. `segment_rmse` by segment).
public struct ResultExtra: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case number(Double)
        case text(String)
        case perHead([String])
        case perHeadNumbers([Double])
        case series([Double])
    }
    public var name: String
    public var value: Value
    public init(_ name: String, _ value: Value) { self.name = name; self.value = value }
    public init(_ name: String, _ number: Double) { self.init(name, .number(number)) }
}
