import Foundation

/// One layer of a per-head pattern file in MInference's own format: a JSON list with one
/// object per layer, mapping head index (as a string) to `[pattern, v, s, score]`:
///
///     [{"0": ["vertical_and_slash", 1000, 6096, 336], "1": ["stream_llm", 100, 800, 0.96]}, …]
///
/// `vertical_and_slash` keeps v columns and s diagonals; `stream_llm` is the A-shape with
/// n_init = v and n_local = s; `block_sparse` ignores v and s (as MInference's kernel does)
/// and uses the method's `top_k`. `score` is whatever the search that wrote the file
/// measured (attnscope writes the relative output error on the sampled rows). Heads the
/// layer does not list run MInference's default, vertical-slash (1000, 6096).
public struct PatternConfig: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: SparsePattern.ConfigName
        public var v: Int
        public var s: Int
        public var score: Double

        public init(name: SparsePattern.ConfigName, v: Int, s: Int, score: Double) {
            self.name = name; self.v = v; self.s = s; self.score = score
        }
    }

    public var source: String
    public var layer: Int
    public var entries: [Int: Entry]

    public static let defaultPattern = SparsePattern.verticalSlash(vertical: 1000, slash: 6096)

    /// Head `head`'s pattern; block-sparse heads take `topK` blocks per query block.
    public func pattern(head: Int, topK: Int) -> SparsePattern {
        guard let e = entries[head] else { return PatternConfig.defaultPattern }
        switch e.name {
        case .verticalAndSlash: return .verticalSlash(vertical: e.v, slash: e.s)
        case .streamLLM: return .aShape(sink: e.v, local: e.s)
        case .blockSparse: return .blockSparse(topK: topK)
        }
    }

    /// Reads layer `layer` of the file at `path`; the whole file must be well formed.
    public static func load(path: String, layer: Int) throws -> PatternConfig {
        let layers = try parse(FileManager.default.contents(atPath: path, naming: "config \(path)"), source: path)
        guard !layers.isEmpty else { throw EngineError.data("config \(path): the list of layers is empty") }
        guard layer < layers.count else {
            throw EngineError.usage("method 'minference': layer=\(layer) but config \(path) has \(layers.count) layer(s) (0…\(layers.count - 1))")
        }
        return PatternConfig(source: path, layer: layer, entries: layers[layer])
    }

    /// Every layer of a config file's bytes; `source` names the file in errors.
    public static func parse(_ data: Data, source: String) throws -> [[Int: Entry]] {
        let shape = "expected a JSON list of layers, each an object mapping head index to [pattern, v, s, score]"
        guard let json = try? JSONSerialization.jsonObject(with: data), let list = json as? [Any] else {
            throw EngineError.data("config \(source): \(shape)")
        }
        return try list.enumerated().map { layer, item in
            guard let object = item as? [String: Any] else {
                throw EngineError.data("config \(source): layer \(layer) is not an object; \(shape)")
            }
            var entries: [Int: Entry] = [:]
            for (key, value) in object {
                let place = "config \(source): layer \(layer), head \"\(key)\""
                guard let head = Int(key), head >= 0 else { throw EngineError.data("\(place): the key is not a head index") }
                entries[head] = try entry(value, place: place)
            }
            return entries
        }
    }

    static func entry(_ value: Any, place: String) throws -> Entry {
        guard let a = value as? [Any], (3...4).contains(a.count), let text = a[0] as? String else {
            throw EngineError.data("\(place): expected [pattern, v, s, score]")
        }
        guard let name = SparsePattern.ConfigName(rawValue: text) else {
            let known = SparsePattern.ConfigName.allCases.map(\.rawValue).joined(separator: ", ")
            throw EngineError.data("\(place): unknown pattern '\(text)'; known patterns: \(known)")
        }
        func whole(_ i: Int, _ what: String) throws -> Int {
            guard let x = (a[i] as? NSNumber)?.doubleValue, x.rounded() == x, (0...Double(1 << 24)).contains(x) else {
                throw EngineError.data("\(place): \(what) must be a whole number in 0…\(1 << 24)")
            }
            return Int(x)
        }
        let v = try whole(1, "v"), s = try whole(2, "s")
        if name == .streamLLM && s < 1 { throw EngineError.data("\(place): stream_llm's window s must be at least 1") }
        var score = 0.0
        if a.count == 4 {
            guard let x = (a[3] as? NSNumber)?.doubleValue, x.isFinite else { throw EngineError.data("\(place): score must be a finite number") }
            score = x
        }
        return Entry(name: name, v: v, s: s, score: score)
    }

    /// The file text for `layers`, each a list of (pattern, score) by head index, heads in
    /// numeric order, one layer per line.
    public static func encode(layers: [[(pattern: SparsePattern, score: Double)]]) -> String {
        let lines = layers.map { heads in
            "{" + heads.enumerated().map { head, h in
                let e = h.pattern.configEntry
                return "\"\(head)\": [\"\(e.name.rawValue)\", \(e.v), \(e.s), \(h.score.isFinite ? "\(h.score)" : "0")]"
            }.joined(separator: ", ") + "}"
        }
        return "[" + lines.joined(separator: ",\n ") + "]\n"
    }
}
