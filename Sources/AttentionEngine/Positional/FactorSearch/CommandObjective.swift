import Foundation

/// `objective=command:CMD`: the user's own evaluator, e.g. a script computing their model's
/// perplexity with the candidate factors. For each candidate attnscope runs `/bin/sh -c CMD`
/// with one JSON object on stdin,
///
///     {"attention_factor": 1.19, "head_dim": 96, "long_factor": [1.0, …], "max_position_embeddings": 131072,
///      "nhat": 0, "original_max_position_embeddings": 4096, "rope_theta": 10000}
///
/// (keys sorted, no spaces) and reads one number from stdout, lower is better. A non-zero
/// exit, a signal, output that is not exactly one finite number, or no answer within the
/// per-candidate timeout drops the candidate with a reason; the search goes on.
public struct CommandObjective: SearchObjective {
    public let command: String
    /// Seconds one evaluation may take before it is killed.
    public let timeout: Double
    public let space: SearchSpace

    public init(command: String, timeout: Double, space: SearchSpace) {
        self.command = command
        self.timeout = timeout
        self.space = space
    }

    public var name: String { "command:" + command }

    /// The JSON a candidate is handed as.
    public func input(for c: FactorCandidate) -> Data {
        let object = space.factorsFileFields(for: c)
        return ((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()) + Data("\n".utf8)
    }

    public func evaluate(_ candidate: FactorCandidate, cancellation: CancellationFlag) -> ObjectiveOutcome {
        switch ChildProcess.run(command: command, input: input(for: candidate), timeout: timeout, cancellation: cancellation) {
        case .failedToStart(let why):
            return .failed(why)
        case .cancelled:
            return .failed("cancelled")
        case .timedOut:
            return .failed("no answer within \(String(format: "%g", timeout)) s (killed)")
        case .finished(let f):
            if let sig = f.signal { return .failed("killed by signal \(sig)\(CommandObjective.tail(f.stderr))") }
            if f.exitStatus != 0 { return .failed("exited with status \(f.exitStatus ?? -1)\(CommandObjective.tail(f.stderr))") }
            let text = String(decoding: f.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let x = Double(text), x.isFinite else {
                return .failed("printed \(CommandObjective.quote(text)), not one finite number")
            }
            return .score(x)
        }
    }

    /// The last line of stderr, for a failure message.
    static func tail(_ stderr: Data) -> String {
        let lines = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline)
        return lines.last.map { ": " + String($0.prefix(200)) } ?? ""
    }

    static func quote(_ s: String) -> String {
        s.isEmpty ? "nothing" : "'" + (s.count > 60 ? String(s.prefix(60)) + "…" : s) + "'"
    }
}
