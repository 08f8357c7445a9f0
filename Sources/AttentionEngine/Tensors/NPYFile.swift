import Foundation

/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
/// Reads float32 (`<f4`), and converts float16 (`<f2`) and float64 (`<f8`) to float32.
/// A 2-D array [N, D] is read as one head; 3-D is [H, N, D]. Writes float32 version 1.0
/// (2.0 when the header would not fit), atomically.
public enum NPYFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads a whole file (`TensorFileReader.read`: in chunks, never mapped).
    public static func read(path: String) throws -> HeadTensor { try read(path: path, chunkBytes: TensorFileReader.readChunkBytes) }

    static func read(path: String, chunkBytes: Int) throws -> HeadTensor {
        try withLayout(path: path) { fd, l, fileSize in
            try TensorFileReader.read(fd, l, path: path, fileSize: fileSize, chunkBytes: chunkBytes)
        }
    }

    /// Where the array sits, its shape and how it is stored, from the header alone: lets a
    /// run check that its inputs fit in memory before reading them.
    static func layout(path: String) throws -> TensorLayout {
        try withLayout(path: path) { _, l, _ in l }
    }

    /// Opens the file, reads and checks its header, and hands `body` the open descriptor,
    /// the layout and the file's size.
    private static func withLayout<T>(path: String, _ body: (Int32, TensorLayout, Int) throws -> T) throws -> T {
        try TensorFileReader.withRegularFile(path) { fd, size in
            let header = try readHeader(fd, size: size, path: path)
            let l = try header.withUnsafeBytes { try layout($0, fileBytes: size, name: path) }
            return try body(fd, l, size)
        }
    }

    /// The bytes that hold the header of the file of `size` bytes open as `fd`. The 12-byte
    /// preamble holds the header's length (2 bytes from offset 8 in version 1, 4 after);
    /// reading that many more bytes covers the header in every version.
    static func readHeader(_ fd: Int32, size: Int, path: String) throws -> [UInt8] {
        var prefix = try TensorFileReader.bytes(fd, 0..<min(12, size), path: path, fileSize: size)
        if prefix.count == 12 {
            let length = prefix[6] == 1 ? Int(prefix[8]) | Int(prefix[9]) << 8 : (0..<4).reduce(0) { $0 | Int(prefix[8 + $1]) << (8 * $1) }
            prefix += try TensorFileReader.bytes(fd, 12..<min(size, 12 + min(length, 1 << 24)), path: path, fileSize: size)
        }
        return prefix
    }

    public static func decode(_ data: Data, name: String) throws -> HeadTensor {
        // Read in place: a copy of the file's bytes would add the file's size to peak memory.
        try data.withUnsafeBytes { try decode($0, name: name) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> HeadTensor {
        let l = try layout(bytes, fileBytes: bytes.count, name: name)
        var values = [Float](repeating: 0, count: l.count)
        values.withUnsafeMutableBufferPointer { l.format.convert(bytes.baseAddress! + l.payload, count: l.count, into: $0.baseAddress!) }
        return HeadTensor(heads: l.heads, seq: l.seq, dim: l.dim, data: values)
    }

    /// Parses and checks the header at the start of `bytes`; `fileBytes` is the whole file's
    /// size (`bytes` may hold only the header), against which the payload is checked.
    static func layout(_ bytes: UnsafeRawBufferPointer, fileBytes: Int, name: String) throws -> TensorLayout {
        func fail(_ why: String) -> EngineError { .data("\(name): \(why)") }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy file (bad magic)") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw fail("unsupported .npy format version \(major).\(bytes[7])")
        }
        guard bytes.count >= headerStart + headerLength else { throw fail("truncated header") }
        guard let header = String(bytes: bytes[headerStart..<headerStart + headerLength],
                                  encoding: major == 3 ? .utf8 : .isoLatin1)
        else { throw fail("header is not text") }
        let fields = try parseHeader(header, fail: fail)
        guard !fields.fortranOrder else { throw fail("Fortran-order arrays are not supported; save with C order (np.ascontiguousarray)") }
        let format: StoredFloat
        switch fields.descr {
        case "<f4": format = .f32
        case "<f2": format = .f16
        case "<f8": format = .f64
        default:
            throw fail("dtype '\(fields.descr)' is not supported; expected little-endian float32 ('<f4'), float16 ('<f2') or float64 ('<f8')")
        }
        let payload = headerStart + headerLength
        return try TensorLayout(shape: fields.shape, format: format, payload: payload, available: fileBytes - payload, fail: fail)
    }

    /// Encodes as float32. `squeezeSingleHead` writes a one-head tensor as [N, D].
    public static func encode(_ t: HeadTensor, squeezeSingleHead: Bool = false) -> Data {
        let shape = squeezeSingleHead && t.heads == 1 ? "(\(t.seq), \(t.dim))" : "(\(t.heads), \(t.seq), \(t.dim))"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        // Pad so the payload starts on a 64-byte boundary, ending the header with '\n'.
        let preamble = 10
        let total = ((preamble + header.utf8.count + 1 + 63) / 64) * 64
        header += String(repeating: " ", count: total - preamble - header.utf8.count - 1) + "\n"
        var out = Data(magic)
        out.append(contentsOf: [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        out.append(contentsOf: Array(header.utf8))
        t.data.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: UInt32.self) { u in
                var le = [UInt32](repeating: 0, count: u.count)
                for i in 0..<u.count { le[i] = u[i].littleEndian }
                le.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    public static func write(_ t: HeadTensor, to path: String, squeezeSingleHead: Bool = false) throws {
        try AtomicFile.write(encode(t, squeezeSingleHead: squeezeSingleHead), to: path)
    }

    struct Header { var descr: String; var fortranOrder: Bool; var shape: [Int] }

    /// Parses the Python-literal dict NumPy writes, e.g.
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (12, 512, 32), }`.
    static func parseHeader(_ text: String, fail: (String) -> EngineError) throws -> Header {
        func value(of key: String) throws -> Substring {
            guard let k = text.range(of: "'\(key)'") ?? text.range(of: "\"\(key)\""),
                  let colon = text[k.upperBound...].firstIndex(of: ":")
            else { throw fail("header has no '\(key)' field") }
            return text[text.index(after: colon)...].drop(while: { $0 == " " })
        }
        let descrRaw = try value(of: "descr")
        guard let quote = descrRaw.first, quote == "'" || quote == "\"",
              let end = descrRaw.dropFirst().firstIndex(of: quote)
        else { throw fail("structured dtypes are not supported") }
        let descr = String(descrRaw[descrRaw.index(after: descrRaw.startIndex)..<end])
        let fortran = try value(of: "fortran_order")
        let fortranOrder: Bool
        if fortran.hasPrefix("True") { fortranOrder = true } else if fortran.hasPrefix("False") { fortranOrder = false } else { throw fail("bad 'fortran_order' value") }
        let shapeRaw = try value(of: "shape")
        guard shapeRaw.first == "(", let close = shapeRaw.firstIndex(of: ")") else { throw fail("bad 'shape' value") }
        let inner = shapeRaw[shapeRaw.index(after: shapeRaw.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let s = part.trimmingCharacters(in: .whitespaces)
            if s.isEmpty { continue }
            guard let n = Int(s), n >= 0 else { throw fail("bad 'shape' entry '\(s)'") }
            shape.append(n)
        }
        return Header(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

}
