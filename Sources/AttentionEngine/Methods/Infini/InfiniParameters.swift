import Foundation

/// How the compressive memory is written after each segment (Infini-attention §2.1.2),
/// with σ = ELU + 1 applied to the unrotated keys K of the segment:
///
///     linear:  M ← M + σ(K)ᵀ V
///     delta:   M ← M + σ(K)ᵀ (V − σ(K) M / (σ(K) z + eps))
///
/// and in both cases z ← z + Σ_t σ(K_t). The delta rule first retrieves what the memory
/// already returns for these keys and stores only the difference.
public enum InfiniUpdate: String, Sendable, CaseIterable {
    case linear, delta
}

/// How the memory read and the segment-local attention are mixed:
/// A = w·A_mem + (1 − w)·A_dot.
public enum InfiniGate: Sendable, Equatable {
    /// w = sigmoid(β). The paper learns β per head; with no training here one β serves all
    /// heads, and β = 0 (the default) is an even mix.
    case mix(beta: Double)
    /// w = 0: block-diagonal causal attention; the memory is never built or read.
    case local
    /// w = 1: the memory read alone; local attention is not computed.
    case memory

    /// The weight w of A_mem.
    public var memoryWeight: Float {
        switch self {
        case .mix(let beta): Float(1 / (1 + Foundation.exp(-beta)))
        case .local: 0
        case .memory: 1
        }
    }

    /// Whether the memory is written and read at all.
    public var usesMemory: Bool { self != .local }
    /// Whether the exact segment-local attention is computed.
    public var usesLocal: Bool { self != .memory }

    public var text: String {
        switch self {
        case .mix(let beta): ResultWriters.numberText(beta)
        case .local: "local"
        case .memory: "memory"
        }
    }

    /// Reads `gate=` (a finite β, `local` or `memory`); the error names the key.
    static func read(_ p: inout MethodParameters) throws -> InfiniGate {
        guard let raw = p.string("gate") else { return .mix(beta: 0) }
        switch raw {
        case "local": return .local
        case "memory": return .memory
        default:
            guard let beta = Double(raw), beta.isFinite else {
                throw EngineError.usage("method '\(p.method)': key 'gate=\(raw)' must be a finite number (β), local or memory")
            }
            return .mix(beta: beta)
        }
    }
}
