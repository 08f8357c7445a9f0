import Foundation

/// Hugging Face `.safetensors` files, as PyTorch and JAX users capture tensors: an 8-byte
/// little-endian header length, a JSON header giving each tensor's dtype, shape and byte
/// range (`data_offsets`, from the end of the header), then the bytes, little-endian and in
/// C order. Reads F32, and converts F16, BF16 and F64 to float32; as with .npy, a 2-D tensor
/// [N, D] is one head and a 3-D one is [H, N, D].
public enum SafetensorsFile {
    /// The format's own cap on the header (100 MB): a larger length is not a real file.
    static let maxHeaderBytes = 100_000_000

    /// The named tensors, in the order named.
    public static func read(path: String, names: [String]) throws -> [HeadTensor] {
        try withLayouts(path: path, names: names) { fd, layouts, size in
            try layouts.map { try TensorFileReader.read(fd, $0, path: path, fileSize: size) }
        }
    }

    /// The layouts of the named tensors, from the header alone (to check memory and shapes
    /// before anything is loaded).
    static func layouts(path: String, names: [String]) throws -> [TensorLayout] {
        try withLayouts(path: path, names: names) { _, layouts, _ in layouts }
    }

    private static func withLayouts<T>(path: String, names: [String], _ body: (Int32, [TensorLayout], Int) throws -> T) throws -> T {
        try TensorFileReader.withRegularFile(path) { fd, size in
            guard size >= 8 else { throw EngineError.data("\(path): not a .safetensors file (\(size) bytes, shorter than the 8-byte header length)") }
            let prefix = try TensorFileReader.bytes(fd, 0..<8, path: path, fileSize: size)
            let stated = headerLength(prefix)
            guard stated <= UInt64(min(maxHeaderBytes, size - 8)) else {
                throw EngineError.data("\(path): not a .safetensors file (its first 8 bytes give a header of \(stated) bytes; the file has \(size))")
            }
            let length = Int(stated)
            let header = try TensorFileReader.bytes(fd, 8..<8 + length, path: path, fileSize: size)
            return try body(fd, layouts(header: Data(header), fileBytes: size, names: names, name: path), size)
        }
    }

    /// The header's length as the file states it: its first 8 bytes, a little-endian
    /// unsigned number (kept unsigned, so a garbage length is reported as it is).
    static func headerLength(_ prefix: [UInt8]) -> UInt64 {
        prefix.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    /// Checks the named entries of `header` (the JSON after the length) against a file of
    /// `fileBytes` bytes: each must exist, be a supported dtype and shape, and span exactly
    /// its shape's bytes inside the file.
    static func layouts(header: Data, fileBytes: Int, names: [String], name: String) throws -> [TensorLayout] {
        let reader = JSONFieldReader(source: name)
        guard let root = try reader.parse(header) as? [String: Any] else {
            throw EngineError.data("\(name): not a .safetensors file (its header is not a JSON object)")
        }
        let dataStart = 8 + header.count
        let dataBytes = fileBytes - dataStart
        return try names.map { tensor in
            if let value = root[tensor], !(value is [String: Any]) {
                throw reader.fail(tensor, "is not a tensor entry ({\"dtype\", \"shape\", \"data_offsets\"}) but \(JSONFieldReader.describe(value))")
            }
            guard let entry = root[tensor] as? [String: Any] else {
                let held = root.keys.filter { $0 != "__metadata__" }.sorted()
                throw EngineError.data("\(name): has no tensor '\(tensor)' (it holds \(held.isEmpty ? "none" : held.map { "'\($0)'" }.joined(separator: ", "))); "
                                       + "name Q, K and V 'q', 'k' and 'v'")
            }
            func fail(_ why: String) -> EngineError { .data("\(name): tensor '\(tensor)': \(why)") }
            let dtype = try reader.string(entry["dtype"], field: "\(tensor).dtype") ?? ""
            guard let format = formats[dtype] else {
                throw fail("dtype '\(dtype)' is not supported; expected F32, F16, BF16 or F64")
            }
            guard let shapeList = entry["shape"] as? [Any] else { throw reader.fail("\(tensor).shape", "is not a list of sizes") }
            let shape = try shapeList.enumerated().map { i, size in
                let field = "\(tensor).shape[\(i)]"
                guard let n = try reader.integer(size, field: field, range: 0...Int.max) else { throw reader.fail(field, "is null, not a size") }
                return n
            }
            guard let offsets = entry["data_offsets"] as? [Any], offsets.count == 2,
                  let begin = try reader.integer(offsets[0], field: "\(tensor).data_offsets[0]", range: 0...dataBytes),
                  let end = try reader.integer(offsets[1], field: "\(tensor).data_offsets[1]", range: begin...dataBytes)
            else { throw reader.fail("\(tensor).data_offsets", "must be [begin, end] inside the file's \(dataBytes) data bytes") }
            let layout = try TensorLayout(shape: shape, format: format, payload: dataStart + begin, available: dataBytes - begin, fail: fail)
            guard layout.bytes == end - begin else {
                throw fail("data_offsets span \(end - begin) bytes, but shape \(TensorLayout.text(shape)) in \(dtype) is \(layout.bytes)")
            }
            return layout
        }
    }

    static let formats: [String: StoredFloat] = ["F32": .f32, "F16": .f16, "BF16": .bf16, "F64": .f64]
}
