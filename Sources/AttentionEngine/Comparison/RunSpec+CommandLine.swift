import Foundation

/// A run spec as the `attnscope run …` command that rebuilds it. Every setting is written
/// out (not only those that differ from today's defaults), so the command keeps meaning the
/// same setup if a default changes. The dashboard's "reproduce" view shows it.
extension RunSpec {
    /// The arguments after `attnscope`, starting with `run`.
    public var commandLineArguments: [String] {
        var a = ["run"]
        if let inputs {
            a += ["--inputs", inputs]
        } else {
            a += ["--seq", String(seq), "--heads", String(heads), "--kv-heads", String(kvHeads),
                  "--head-dim", String(headDim), "--workload", workload.rawValue]
        }
        a.append(causal ? "--causal" : "--no-causal")
        a += ["--seed", String(seed)]
        if let rope { a += ["--rope", rope.rawValue] }
        let base = ropeBase == ropeBase.rounded() && abs(ropeBase) < 1e15 ? String(Int(ropeBase)) : String(ropeBase)
        a += ["--rope-base", base, "--rope-style", ropeStyle.rawValue, "--threads", String(threads),
              "--repeat", String(self.repeat), "--warmup", String(warmup), "--reference-rows", referenceRows.text]
        for m in methods { a += ["--method", m.commandLineForm] }
        return a
    }

    /// The whole command, each argument quoted for a POSIX shell where needed.
    public var commandLine: String { commandLinePhrases.joined(separator: " ") }

    /// The command in pieces a display may put on separate lines (ending each but the last
    /// in ` \`) without changing what a shell reads: `attnscope run`, then each flag with
    /// its value, quoted.
    public var commandLinePhrases: [String] {
        var phrases: [String] = []
        for word in (["attnscope"] + commandLineArguments).map(RunSpec.shellQuoted) {
            // A word joins the phrase before it when that phrase is one word still waiting
            // for its value (`attnscope` for `run`, a flag for its value).
            if let last = phrases.last, !word.hasPrefix("-"), !last.contains(" ") {
                phrases[phrases.count - 1] = last + " " + word
            } else {
                phrases.append(word)
            }
        }
        return phrases
    }

    /// `s` as one shell word: unchanged if it holds only safe characters, else in single quotes.
    public static func shellQuoted(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=,@%+")
        if !s.isEmpty && s.allSatisfy(safe.contains) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
