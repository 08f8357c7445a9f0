import Foundation

/// Reading arrays out of tensor files (.npy, .safetensors) with pread(2): never mapped, since
/// a mapped file that another process truncates mid-read ends the process with SIGBUS, where
/// a read just comes up short and says so.
enum TensorFileReader {
    /// Opens `path`, which must be a regular file, and hands `body` the descriptor and size.
    static func withRegularFile<T>(_ path: String, _ body: (Int32, Int) throws -> T) throws -> T {
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
        return try body(fd, Int(info.st_size))
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

    /// The bytes in `range`, for headers.
    static func bytes(_ fd: Int32, _ range: Range<Int>, path: String, fileSize: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: range.count)
        if out.isEmpty { return out }
        try out.withUnsafeMutableBytes { try readFully(fd, into: $0.baseAddress!, bytes: $0.count, at: range.lowerBound, path: path, fileSize: fileSize) }
        return out
    }

    /// The array `layout` describes, read in chunks straight into float32 storage (through a
    /// small buffer when the values need converting). Peak memory is the array plus one
    /// chunk, not that plus the file.
    static func read(_ fd: Int32, _ l: TensorLayout, path: String, fileSize: Int, chunkBytes: Int = readChunkBytes) throws -> HeadTensor {
        let width = l.format.width
        let direct = l.format == .f32 && StoredFloat.hostIsLittleEndian
        let chunk = max(1, chunkBytes / width)
        let scratch = direct ? nil : UnsafeMutableRawPointer.allocate(byteCount: chunk * width, alignment: 8)
        defer { scratch?.deallocate() }
        var values = [Float](repeating: 0, count: l.count)
        try values.withUnsafeMutableBufferPointer { out in
            for start in stride(from: 0, to: l.count, by: chunk) {
                let n = min(chunk, l.count - start)
                let target = out.baseAddress! + start
                try readFully(fd, into: scratch ?? UnsafeMutableRawPointer(target), bytes: n * width,
                              at: l.payload + start * width, path: path, fileSize: fileSize)
                if let scratch { l.format.convert(scratch, count: n, into: target) }
            }
        }
        return HeadTensor(heads: l.heads, seq: l.seq, dim: l.dim, data: values)
    }

    /// Bytes per pread: well under Linux's 2 GiB cap on one read, large enough that the
    /// calls cost nothing next to the copy.
    static let readChunkBytes = 16 << 20
}
