import Foundation

/// Refuses, before allocating, tensors that cannot fit in this machine's memory. Swift traps
/// when an allocation fails, so without this check a setup too large for the machine (say
/// 64 heads at a million tokens) would crash instead of exiting 64 with a message.
///
/// The limit is the physical memory: anything above it cannot be held at once, whatever
/// else is running. A request below it can still fail if other processes hold the rest;
/// the operating system then reports that, not attnscope.
public enum MemoryBudget {
    /// Physical memory of this machine, in bytes.
    public static var physicalBytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// Bytes of whole inputs (generated or read from files): Q, K and V, and, when RoPE rotates
    /// them, the pre-RoPE content of Q and K beside the rotated copies; plus `outputs`
    /// outputs of Q's shape.
    public static func inputBytes(_ shape: AttentionShape, rotated: Bool, outputs: Int) -> Int {
        let queryCopies = (rotated ? 2 : 1) + outputs, keyCopies = rotated ? 2 : 1
        return MemoryLayout<Float>.size * shape.seq * shape.headDim * (queryCopies * shape.heads + (keyCopies + 1) * shape.kvHeads)
    }

    /// Throws a usage error when `bytes` (what `what` needs) exceed `available` bytes;
    /// `remedy` says what to change.
    public static func require(_ bytes: Int, for what: String, remedy: String, available: Int = physicalBytes) throws {
        guard bytes > available else { return }
        func text(_ b: Int) -> String { ReadableNumbers.si(Double(b), binary: true) + "B" }
        throw EngineError.usage("\(what): \(text(bytes)) needed, this machine has \(text(available)) of memory; \(remedy)")
    }
}
