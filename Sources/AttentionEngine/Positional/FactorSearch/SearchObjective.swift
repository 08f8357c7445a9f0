import Foundation

/// What an objective says about one candidate: a score (lower is better, like perplexity),
/// or why it could not score it. A failed candidate is reported and dropped, never fatal.
public enum ObjectiveOutcome: Sendable, Equatable {
    case score(Double)
    case failed(String)
}

/// Scores factor candidates for the search. Called from worker threads, several candidates
/// at once; must return promptly once `cancellation` is set.
public protocol SearchObjective: Sendable {
    /// How results name the objective (`proxy`, `command:CMD`).
    var name: String { get }
    func evaluate(_ candidate: FactorCandidate, cancellation: CancellationFlag) -> ObjectiveOutcome
}

/// The objective as a person names it: `proxy` or `command:CMD`.
public enum ObjectiveChoice: Sendable, Equatable {
    case proxy
    case command(String)

    /// `what` names the flag or key in errors (`--objective`, `objective=`).
    public init(parsing text: String, what: String) throws {
        if text == "proxy" { self = .proxy; return }
        if text.hasPrefix("command:") {
            let command = String(text.dropFirst("command:".count)).trimmingCharacters(in: .whitespaces)
            guard !command.isEmpty else { throw EngineError.usage("\(what) 'command:' needs a command after the colon") }
            self = .command(command)
            return
        }
        throw EngineError.usage("\(what) '\(text)' must be proxy or command:CMD")
    }
}
