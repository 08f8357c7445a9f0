/// Every method attnscope knows, by the name used in `--method NAME:...` and in presets.
/// Adding a method: its folder under Methods/ plus one entry here.
public struct MethodDescriptor: Sendable {
    public let name: String
    public let summary: String
    public let keys: [ParameterKey]
    /// Builds the method from its parameters; throws a usage error naming a bad key.
    public let make: @Sendable (inout MethodParameters) throws -> any AttentionMethod

    public init(name: String, summary: String, keys: [ParameterKey],
                make: @escaping @Sendable (inout MethodParameters) throws -> any AttentionMethod) {
        self.name = name
        self.summary = summary
        self.keys = keys
        self.make = make
    }
}

public enum MethodRegistry {
    public static let all: [MethodDescriptor] = [
        DenseAttention.descriptor,
        FlashAttention.descriptor,
        LongRoPEAttention.descriptor,
        MInferenceAttention.descriptor,
        InfiniAttention.descriptor,
    ]

    public static func descriptor(named name: String) throws -> MethodDescriptor {
        guard let d = all.first(where: { $0.name == name }) else {
            throw EngineError.usage("unknown method '\(name)'; known methods: " + all.map(\.name).joined(separator: ", "))
        }
        return d
    }

    /// Builds the runnable method for a spec, rejecting unknown keys.
    public static func make(_ spec: MethodSpec) throws -> any AttentionMethod {
        let d = try descriptor(named: spec.method)
        var params = MethodParameters(method: spec.method, values: spec.params)
        let method = try d.make(&params)
        try params.finish(known: d.keys)
        return method
    }
}
