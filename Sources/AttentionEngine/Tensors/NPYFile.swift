import Foundation

/// NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), little-endian, C order.
/// Reads float32 (`<f4`), and converts float16 (`<f2`) and float64 (`<f8`) to float32.
/// A 2-D array [N, D] is read as one head; 3-D is [H, N, D]. Writes float32 version 1.0
/// (2.0 when the header would not fit), atomically.
public enum NPYFile {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads a whole file: the header, then the values with pread(2) in chunks, straight into
    /// the float32 array (through a small buffer when they need converting). Peak memory is
    /// the array plus one chunk, not that plus the file. Not mapped: a mapped file that
    /// another process truncates mid-read ends the process with SIGBUS, where a read just
    /// comes up short and says so.
    public static func read(path: String) throws -> HeadTensor { try read(path: path, chunkBytes: readChunkBytes) }

    static func read(path: String, chunkBytes: Int) throws -> HeadTensor {
        try withLayout(path: path) { fd, l, fileSize in
            let direct = l.width == 4 && hostIsLittleEndian
            let chunk = max(1, chunkBytes / l.width)
            let scratch = direct ? nil : UnsafeMutableRawPointer.allocate(byteCount: chunk * l.width, alignment: 8)
            defer { scratch?.deallocate() }
            var values = [Float](repeating: 0, count: l.count)
            try values.withUnsafeMutableBufferPointer { out in
                for start in stride(from: 0, to: l.count, by: chunk) {
                    let n = min(chunk, l.count - start)
                    let target = out.baseAddress! + start
                    try readFully(fd, into: scratch ?? UnsafeMutableRawPointer(target), bytes: n * l.width,
                                  at: l.payload + start * l.width, path: path, fileSize: fileSize)
                    if let scratch { convert(scratch, width: l.width, count: n, into: target) }
                }
            }
            return HeadTensor(heads: l.heads, seq: l.seq, dim: l.dim, data: values)
        }
    }

    /// Bytes per pread: well under Linux's 2 GiB cap on one read, large enough that the
    /// calls cost nothing next to the copy.
    static let readChunkBytes = 16 << 20
    static let hostIsLittleEndian = 1.littleEndian == 1

    /// The [H, N, D] an array holds, from its header alone (`kvHeads` = H): lets a run check
    /// that its inputs fit in memory before reading them.
    public static func shape(path: String) throws -> AttentionShape {
        try withLayout(path: path) { _, l, _ in AttentionShape(seq: l.seq, heads: l.heads, kvHeads: l.heads, headDim: l.dim) }
    }

    /// 2 for an [N, D] array, 3 for [H, N, D], from the header alone.
    public static func rank(path: String) throws -> Int {
        try withLayout(path: path) { _, l, _ in l.rank }
    }

    /// Opens the file, reads and checks its header, and hands `body` the open descriptor,
    /// the layout and the file's size.
    private static func withLayout<T>(path: String, _ body: (Int32, Layout, Int) throws -> T) throws -> T {
        // Non-blocking, so a FIFO named q.npy does not hang open(2) (where Ctrl-C cannot
        // reach) waiting for a writer; only a regular file is read.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw EngineError.data("\(path): \(FileManager.default.whyUnreadable(atPath: path))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw EngineError.data("\(path): cannot be read") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw EngineError.data("\(path): \(FileManager.whyUnreadable(mode: info.st_mode))")
        }
        let size = Int(info.st_size)
        let header = try readHeader(fd, size: size, path: path)
        let l = try header.withUnsafeBytes { try layout($0, fileBytes: size, name: path) }
        return try body(fd, l, size)
    }

    /// The bytes that hold the header of the file of `size` bytes open as `fd`. The 12-byte
    /// preamble holds the header's length (2 bytes from offset 8 in version 1, 4 after);
    /// reading that many more bytes covers the header in every version.
    static func readHeader(_ fd: Int32, size: Int, path: String) throws -> [UInt8] {
        func bytes(_ range: Range<Int>) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: range.count)
            if out.isEmpty { return out }
            try out.withUnsafeMutableBytes { try readFully(fd, into: $0.baseAddress!, bytes: $0.count, at: range.lowerBound, path: path, fileSize: size) }
            return out
        }
        var prefix = try bytes(0..<min(12, size))
        if prefix.count == 12 {
            let length = prefix[6] == 1 ? Int(prefix[8]) | Int(prefix[9]) << 8 : (0..<4).reduce(0) { $0 | Int(prefix[8 + $1]) << (8 * $1) }
            prefix += try bytes(12..<min(size, 12 + min(length, 1 << 24)))
        }
        return prefix
    }

    /// Reads exactly `bytes` bytes at `offset`, or says why not.
    static func readFully(_ fd: Int32, into p: UnsafeMutableRawPointer, bytes: Int, at offset: Int, path: String, fileSize: Int) throws {
        var done = 0
        while done < bytes {
            let n = pread(fd, p + done, bytes - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw EngineError.data("\(path): cannot be read (\(String(cString: strerror(errno))))") }
            if n == 0 {
                throw EngineError.data("\(path): the file ended at byte \(offset + done) while it was read, but had \(fileSize) bytes "
                                       + "when opened: another process changed it")
            }
            done += n
        }
    }

    public static func decode(_ data: Data, name: String) throws -> HeadTensor {
        // Read in place: a copy of the file's bytes would add the file's size to peak memory.
        try data.withUnsafeBytes { try decode($0, name: name) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> HeadTensor {
        let l = try layout(bytes, fileBytes: bytes.count, name: name)
        var values = [Float](repeating: 0, count: l.count)
        values.withUnsafeMutableBufferPointer { convert(bytes.baseAddress! + l.payload, width: l.width, count: l.count, into: $0.baseAddress!) }
        return HeadTensor(heads: l.heads, seq: l.seq, dim: l.dim, data: values)
    }

    /// `count` little-endian values of `width` bytes (float16, 32 or 64) as float32.
    static func convert(_ base: UnsafeRawPointer, width: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch width {
        case 4 where hostIsLittleEndian:  // already the host's float32: one copy, not a loop
            UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: 4 * count)
        case 4:
            for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case 2:
            for i in 0..<count { out[i] = Float(Float16(bitPattern: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
        default:
            for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        }
    }

    /// Where an array's values start and how they are stored, as its header says.
    struct Layout { var rank, heads, seq, dim, width, payload: Int; var count: Int { heads * seq * dim } }

    /// Parses and checks the header at the start of `bytes`; `fileBytes` is the whole file's
    /// size (`bytes` may hold only the header), against which the payload is checked.
    static func layout(_ bytes: UnsafeRawBufferPointer, fileBytes: Int, name: String) throws -> Layout {
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

        let shape = fields.shape
        guard (2...3).contains(shape.count) else {
            throw fail("shape \(shapeText(shape)) has \(shape.count) dimensions; expected [N, D] or [H, N, D]")
        }
        guard !fields.fortranOrder else { throw fail("Fortran-order arrays are not supported; save with C order (np.ascontiguousarray)") }
        let (heads, seq, dim) = shape.count == 2 ? (1, shape[0], shape[1]) : (shape[0], shape[1], shape[2])
        guard heads > 0, seq > 0, dim > 0 else { throw fail("shape \(shapeText(shape)) is empty") }
        let payload = headerStart + headerLength
        let width: Int
        switch fields.descr {
        case "<f4": width = 4
        case "<f2": width = 2
        case "<f8": width = 8
        default:
            throw fail("dtype '\(fields.descr)' is not supported; expected little-endian float32 ('<f4'), float16 ('<f2') or float64 ('<f8')")
        }
        // A header may claim any shape: multiply with overflow checks before trusting it.
        let (rows, o1) = heads.multipliedReportingOverflow(by: seq)
        let (count, o2) = rows.multipliedReportingOverflow(by: dim)
        let (needed, o3) = count.multipliedReportingOverflow(by: width)
        guard !(o1 || o2 || o3) else { throw fail("shape \(shapeText(shape)) is too large to be a real array") }
        guard fileBytes - payload >= needed else {
            throw fail("truncated data: shape \(shapeText(shape)) needs \(needed) bytes, file has \(fileBytes - payload)")
        }
        return Layout(rank: shape.count, heads: heads, seq: seq, dim: dim, width: width, payload: payload)
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

    static func shapeText(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
}
