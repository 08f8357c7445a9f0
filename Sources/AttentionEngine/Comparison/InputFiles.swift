import Foundation

/// Where `--inputs PATH` finds Q, K and V: `q.npy`, `k.npy` and `v.npy` in a directory, or
/// the tensors `q`, `k` and `v` of one `.safetensors` file. Either way Q is [H, N, D] and K, V
/// are [G, N, D] (or all three [N, D] for one head).
enum InputFiles {
    case npy(q: String, k: String, v: String)
    case safetensors(String)

    static let names = ["q", "k", "v"]

    init(_ path: String) throws {
        if FileManager.default.directoryExists(atPath: path) {
            self = .npy(q: path + "/q.npy", k: path + "/k.npy", v: path + "/v.npy")
        } else if path.hasSuffix(".safetensors") {
            self = .safetensors(path)
        } else {
            let found = FileManager.default.fileExists(atPath: path)
            throw EngineError.data("--inputs \(path): \(found ? "is not a .safetensors file; give one, or a directory holding q.npy, k.npy and v.npy" : "no such directory or file")")
        }
    }

    /// The files read.
    var paths: [String] {
        switch self {
        case .npy(let q, let k, let v): [q, k, v]
        case .safetensors(let path): [path]
        }
    }

    /// Q's, K's and V's layouts, from the headers alone.
    func layouts() throws -> [TensorLayout] {
        switch self {
        case .npy(let q, let k, let v): try [q, k, v].map(NPYFile.layout(path:))
        case .safetensors(let path): try SafetensorsFile.layouts(path: path, names: InputFiles.names)
        }
    }

    /// Q, K and V.
    func read() throws -> [HeadTensor] {
        switch self {
        case .npy(let q, let k, let v): try [q, k, v].map(NPYFile.read(path:))
        case .safetensors(let path): try SafetensorsFile.read(path: path, names: InputFiles.names)
        }
    }
}
