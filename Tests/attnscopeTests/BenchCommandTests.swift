import Foundation
import TestSupport
import XCTest

/// `attnscope bench` end to end: bad flags exit 64 naming the flag, a failing peer exits 70
/// before the method is timed, and the summary row carries the method's timing, the peer's
/// row as the peer printed it, and their ratio. The peer here is a stand-in script, so the test needs no Python packages
/// and checks exactly what was passed to the peer and parsed back.
final class BenchCommandTests: XCTestCase {
    let tiny = ["bench", "--seq", "100", "--heads", "2", "--head-dim", "16", "--repeat", "1", "--warmup", "0"]

    func csvRow(_ text: String) throws -> [String: String] {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        XCTAssertEqual(lines.count, 2, text)
        let header = try XCTUnwrap(lines.first).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let cells = try XCTUnwrap(lines.last).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(header.count, cells.count)
        return Dictionary(uniqueKeysWithValues: zip(header, cells))
    }

    static let peerHeader = "peer,seq,head_dim,heads,causal,median_ms,gflops,max_rel_err,check,min_ms,reps,threads,other_cpu,cores"

    /// A directory with an (unused) bench_peers.py and a stand-in `python` that answers the
    /// interpreter check (`-c …`) and otherwise runs the shell `body` made for that directory.
    func standInPeer(_ body: (_ dir: String) -> String) throws -> (dir: String, python: String) {
        let dir = try temporaryDirectory()
        try Data().write(to: URL(fileURLWithPath: dir + "/bench_peers.py"))
        let python = dir + "/python"
        try Data("#!/bin/sh\n[ \"$1\" = \"-c\" ] && exit 0\n\(body(dir))\n".utf8).write(to: URL(fileURLWithPath: python))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python)
        return (dir, python)
    }

    /// A stand-in peer that records its arguments and prints `row` under bench_peers.py's CSV
    /// header, exiting with `status`.
    func fakePeer(row: String, status: Int = 0) throws -> (dir: String, python: String, argsFile: String) {
        let peer = try standInPeer { dir in
            """
            echo "$@" > '\(dir)/args.txt'
            echo "\(Self.peerHeader)"
            echo "\(row)"
            [ \(status) -ne 0 ] && echo "peer crashed" >&2
            exit \(status)
            """
        }
        return (peer.dir, peer.python, peer.dir + "/args.txt")
    }

    func testBadFlagsAreUsageErrors() throws {
        // A peers directory of its own, so the --python check does not depend on where the checkout sits.
        let peers = try fakePeer(row: "").dir
        for (args, needle) in [(["--seq", "0"], "--seq"), (["--threads", "0"], "--threads"), (["--method", "nosuch"], "nosuch"),
                               (["--head-dim", "0"], "--head-dim"), (["--wait-quiet", "-1"], "--wait-quiet"),
                               (["--reference-rows", "0"], "--reference-rows"),
                               (["--method", "minference"], "exact attention"), (["--method", "infini:segment=64"], "same work"),
                               (["--peers-dir", "/nonexistent"], "--peers-dir"),
                               (["--peers-dir", peers, "--python", "/nonexistent/python"], "--python")] {
            let r = try Attnscope.run(tiny + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args) should mention \(needle): \(r.stderr)")
        }
    }

    func testMethodOnlySummaryWithoutPeer() throws {
        let r = try Attnscope.run(tiny + ["--threads", "2", "--peer", "none", "--csv", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try csvRow(r.stdout)
        XCTAssertEqual(row["seq"], "100")
        XCTAssertEqual(row["method"], "flash")
        XCTAssertGreaterThan(Double(row["gflops"] ?? "") ?? 0, 0)
        XCTAssertLessThanOrEqual(Double(row["rel_l2_err"] ?? "") ?? 1, 1e-5)
        XCTAssertGreaterThan(Double(row["gflops_1_thread"] ?? "") ?? 0, 0)
        XCTAssertNotNil(Double(row["scaling"] ?? ""))
        XCTAssertEqual(row["peer"], "")
        XCTAssertEqual(row["ratio"], "")
        XCTAssertEqual(row["io_bytes"], String(4 * 100 * 16 * 2 * 4))
        // A few milliseconds are a fraction of one /proc/stat tick: too short to say how busy
        // the rest of the machine was (unless a stalled machine stretched the timing itself).
        let medianMs = try XCTUnwrap(Double(row["median_ms"] ?? ""))
        XCTAssertTrue(row["other_cpu"] == "nan" || medianMs > 50, "other_cpu \(row["other_cpu"] ?? "") over a \(medianMs) ms run")
        XCTAssertGreaterThan(Int(row["peak_rss_bytes"] ?? "") ?? 0, 0)
    }

    func testPeerRowIsParsedAndRatioIsPeerTimeOverMethodTime() throws {
        let peer = try fakePeer(row: "numpy,100,16,2,1,50.0,0.01,1.5e-07,PASS,49.0,3,2,0.10,1.95")
        let r = try Attnscope.run(tiny + ["--threads", "2", "--skip-single-thread", "--peers-dir", peer.dir,
                                          "--python", peer.python, "--csv", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try csvRow(r.stdout)
        XCTAssertEqual(row["peer"], "numpy")
        XCTAssertEqual(row["peer_median_ms"], "50.0")
        XCTAssertEqual(row["peer_gflops"], "0.01")
        XCTAssertEqual(row["peer_check"], "PASS")
        XCTAssertEqual(row["peer_cores"], "1.95")
        XCTAssertEqual(row["gflops_1_thread"], "")
        let ratio = try XCTUnwrap(Double(row["ratio"] ?? "")), median = try XCTUnwrap(Double(row["median_ms"] ?? ""))
        XCTAssertEqual(ratio, 50.0 / median, accuracy: 1e-9 * ratio)
        let args = try String(contentsOfFile: peer.argsFile, encoding: .utf8)
        for expected in ["--seq 100", "--head-dim 16", "--heads 2", "--causal 1", "--threads 2", "--peers numpy", "--reps 3"] {
            XCTAssertTrue(args.contains(expected), "peer arguments \(args) lack \(expected)")
        }
    }

    /// The peer's CSV row prints its time to 0.1 ms and its rate to 0.01 GFLOP/s: the ratio
    /// uses whichever pins the time better, and is left out when neither pins it to 1%.
    func testRatioUsesThePeersMorePreciseFigureOrNone() throws {
        func bench(_ peerRow: String) throws -> (row: [String: String], table: String) {
            let peer = try fakePeer(row: peerRow)
            let args = tiny + ["--skip-single-thread", "--peers-dir", peer.dir, "--python", peer.python]
            let csv = try Attnscope.run(args + ["--csv", "-"]), table = try Attnscope.run(args)
            XCTAssertEqual(csv.status, 0, csv.stderr)
            return (try csvRow(csv.stdout), table.stdout)
        }
        // 0.3 ms is ±17%; 2.13 GFLOP/s over the peer's 4·N²·d·H/2 = 640,000 FLOPs is 0.30047 ms ±0.2%.
        let short = try bench("numpy,100,16,2,1,0.3,2.13,1.5e-07,PASS,0.3,3,2,0.10,1.95")
        let ratio = try XCTUnwrap(Double(short.row["ratio"] ?? "")), median = try XCTUnwrap(Double(short.row["median_ms"] ?? ""))
        XCTAssertEqual(ratio, 640_000 / 2.13e9 * 1e3 / median, accuracy: 1e-9 * ratio)
        XCTAssertEqual(short.row["peer_median_ms"], "0.3", "the peer's own figure is reported as it printed it")
        // 0.0 ms and 0.15 GFLOP/s (±3%) give no ratio, and the table says why.
        let unpinned = try bench("numpy,100,16,2,1,0.0,0.15,1.5e-07,PASS,0.0,3,2,0.10,1.95")
        XCTAssertEqual(unpinned.row["ratio"], "")
        XCTAssertTrue(unpinned.table.contains("ratio n/a") && !unpinned.table.contains("×\n"), unpinned.table)
    }

    func testFailingPeerIsAnInternalError() throws {
        let crashed = try fakePeer(row: "", status: 1)
        let r = try Attnscope.run(tiny + ["--skip-single-thread", "--peers-dir", crashed.dir, "--python", crashed.python])
        XCTAssertEqual(r.status, 70, r.stderr)
        XCTAssertTrue(r.stderr.contains("peer 'numpy' failed") && r.stderr.contains("peer crashed"), r.stderr)
        XCTAssertFalse(r.stderr.contains("timing flash"), "a peer that cannot run fails before the method is timed: \(r.stderr)")
        XCTAssertTrue(try String(contentsOfFile: crashed.argsFile, encoding: .utf8).contains("--seq 100 "), "probed on min(N, 128) tokens")

        let wrong = try fakePeer(row: "numpy,100,16,2,1,50.0,0.01,0.5,FAIL,49.0,3,2,0.10,1.95")
        let w = try Attnscope.run(tiny + ["--skip-single-thread", "--peers-dir", wrong.dir, "--python", wrong.python])
        XCTAssertEqual(w.status, 70, w.stderr)
        XCTAssertTrue(w.stderr.contains("failed its own float64 check"), w.stderr)
    }

    /// Ctrl-C while the peer is timed stops the peer and the worker it started: the peer runs
    /// in a process group of its own, which a terminal's Ctrl-C does not reach.
    func testInterruptStopsThePeerAndItsWorker() throws {
        // The probe answers; the timing starts a worker (as bench_peers.py does) and waits for it.
        let (dir, python) = try standInPeer { dir in
            """
            if [ -e '\(dir)/probed' ]; then sleep 300 & echo $! > '\(dir)/worker.new'; mv '\(dir)/worker.new' '\(dir)/worker.pid'; wait; exit 1; fi
            touch '\(dir)/probed'
            echo "\(Self.peerHeader)"
            echo "numpy,100,16,2,1,50.0,0.01,1.5e-07,PASS,49.0,3,2,0.10,1.95"
            """
        }
        let workerPID = dir + "/worker.pid"
        let p = Process()
        p.executableURL = Attnscope.url
        p.arguments = tiny + ["--skip-single-thread", "--peers-dir", dir, "--python", python]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        // The pid file appears whole (renamed into place), so it is never read half-written.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: workerPID) && p.isRunning && Date() < deadline { usleep(20_000) }
        let pid = try XCTUnwrap(Int32(String(contentsOfFile: workerPID, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(p.processIdentifier, SIGINT)
        // Within a few seconds bench has exited and the worker is gone (or a zombie waiting for
        // init); a worker left running also kept bench waiting for it.
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true)
        }
        let gone = Date().addingTimeInterval(5)
        while (p.isRunning || running()) && Date() < gone { usleep(20_000) }
        let (benchLeft, workerLeft) = (p.isRunning, running())
        if workerLeft { kill(pid, SIGKILL) }
        p.waitUntilExit()
        XCTAssertFalse(benchLeft, "bench did not exit within 5 s of Ctrl-C")
        XCTAssertFalse(workerLeft, "the peer's worker \(pid) outlived the interrupted bench")
        XCTAssertEqual(p.terminationStatus, 130)
    }
}
