import Foundation

/// Writes all of `bytes` to the open descriptor `fd` with write(2), retrying partial and
/// interrupted writes. Returns nil once every byte is written, else the reason the system
/// gave (e.g. "No space left on device"): Foundation's own writers either trap on a failed
/// write or report it as a generic "the operation could not be completed".
public func writeAll(_ bytes: Data, to fd: Int32) -> String? {
    var rest = bytes[...]
    while !rest.isEmpty {
        let written = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else {
            return written < 0 ? String(cString: strerror(errno)) : "nothing was written"
        }
        rest = rest.dropFirst(written)
    }
    return nil
}
