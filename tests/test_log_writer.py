"""The daemon's log written on a thread of its own: a log file on a stalled SD card must not hold the main loop (no
decision meanwhile, the loads left as they were), and the lines still come whole, in order, as they were logged."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from shell import log_writer as writer_module
from shell.log_writer import LogWriter
from shell.logsetup import LogFile, reopen_log_files, setup_logging
from tests.configs import write_config

pytestmark = pytest.mark.usefixtures("restored_root_logger")

ROOT = Path(__file__).resolve().parent.parent
BOUND_S = 10.0  # (how long a call that should return at once is given before the test calls it held: never reached)


class StalledDisk:
    """LogFile's writes held until `release()`, as on an SD card that stopped answering for a while."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.released = threading.Event()
        self.writing = threading.Event()  # a line reached the disk's write
        real_emit = LogFile.emit

        def stalled(handler: LogFile, record: logging.LogRecord) -> None:
            self.writing.set()
            self.released.wait(BOUND_S * 3)
            real_emit(handler, record)

        monkeypatch.setattr(LogFile, "emit", stalled)

    def release(self) -> None:
        self.released.set()


def _returns(action: object) -> bool:
    """Whether `action()` returns within BOUND_S (called on a thread: held, the test goes on to release it)."""
    thread = threading.Thread(target=action, daemon=True)  # type: ignore[arg-type]
    thread.start()
    thread.join(BOUND_S)
    return not thread.is_alive()


def test_the_daemon_s_log_on_a_stalled_disk_does_not_hold_the_main_loop(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Each line was written by the main loop itself: a card that stalled held it in the write, no decision was made
    # (a variator left at 2 kW through a cloud, from the grid), and at the stop the offs waited behind its lines.
    import regulation

    config = write_config(tmp_path, extra="\n[logging]\nfile = pyseb.log\n")
    daemon = regulation._start(regulation._parse_args(["-c", str(config)]))
    assert not isinstance(daemon, int)
    disk = StalledDisk(monkeypatch)
    try:
        said = logging.getLogger("shell.daemon")
        assert _returns(lambda: [said.warning("line %d", n) for n in range(3)]), "the log held the caller"
        assert disk.writing.wait(BOUND_S)  # (the writer is at it, held by the disk)
    finally:
        disk.release()
        daemon.lock.release()
    writer = writer_module.log_writer()
    assert writer is not None and writer.wait_written()
    lines = (tmp_path / "pyseb.log").read_text().splitlines()
    assert [line.split(": ", 1)[1] for line in lines if "shell.daemon: line" in line] == ["line 0", "line 1", "line 2"]


def test_a_line_says_what_was_true_when_logged_and_keeps_its_traceback(tmp_path: Path) -> None:
    setup_logging("INFO", tmp_path / "pyseb.log", stderr=False, on_a_thread=True)
    loads = ["ecs"]
    logging.getLogger("t").info("loads on: %s", loads)
    loads.append("radiator")  # (the main loop goes on: written later, the line said what was true then)
    try:
        raise ValueError("a bug")
    except ValueError:
        logging.getLogger("t").exception("internal error")
    writer = writer_module.log_writer()
    assert writer is not None and writer.wait_written()
    text = (tmp_path / "pyseb.log").read_text()
    assert "t: loads on: ['ecs']\n" in text
    assert "ERROR   t: internal error\nTraceback (most recent call last):" in text and "ValueError: a bug" in text


def test_lines_past_the_queue_are_dropped_counted_and_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "MAX_WAITING", 3)
    disk = StalledDisk(monkeypatch)
    setup_logging("INFO", tmp_path / "pyseb.log", stderr=False, on_a_thread=True)
    said = logging.getLogger("t")
    said.info("first")  # (taken by the writer, held by the disk)
    assert disk.writing.wait(BOUND_S)
    for n in range(6):
        said.info("queued %d", n)  # (3 wait, 3 dropped)
    disk.release()
    writer = writer_module.log_writer()
    assert writer is not None and writer.wait_written()
    text = (tmp_path / "pyseb.log").read_text()
    assert [n for n in range(6) if f"queued {n}\n" in text] == [0, 1, 2]
    assert "3 log lines were dropped: they came faster than the log could be written" in text, text


def test_a_reopen_does_not_wait_for_a_stalled_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # logrotate's SIGHUP closes the file on the main loop: it waited for the handler's lock, held by the stalled write.
    disk = StalledDisk(monkeypatch)
    path = tmp_path / "pyseb.log"
    setup_logging("INFO", path, stderr=False, on_a_thread=True)
    logging.getLogger("t").info("before")
    assert disk.writing.wait(BOUND_S)
    reopened: list[list[str]] = []
    try:
        assert _returns(lambda: reopened.append(reopen_log_files())), "the reopen held the main loop"
    finally:
        disk.release()
    assert reopened == [[str(path)]]
    path.rename(tmp_path / "pyseb.log.1")  # (as logrotate does, after its SIGHUP here: the next line opens it again)
    writer = writer_module.log_writer()
    assert writer is not None and writer.wait_written()
    logging.getLogger("t").info("after")
    assert writer.wait_written()
    assert "t: after" in path.read_text()


def test_the_end_waits_for_a_stalled_disk_a_bounded_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # At the process's end (logging.shutdown closes each handler): the lines queued are written, but a disk that stopped
    # answering must not hold the stop past systemd's TimeoutStopSec.
    monkeypatch.setattr(writer_module, "STOP_WAIT_S", 0.2)
    disk = StalledDisk(monkeypatch)
    writer = LogWriter([LogFile(tmp_path / "pyseb.log", 0, 0, errors_to_stderr=False)])
    writer.handle(logging.makeLogRecord({"msg": "held", "levelno": logging.INFO, "levelname": "INFO"}))
    assert disk.writing.wait(BOUND_S)
    try:
        assert _returns(writer.close), "the close waited for the disk"
    finally:
        disk.release()


def test_a_wait_that_gave_up_is_not_waited_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An interrupted start waits for the log before its line on stderr, then main's end waited as long again: twice
    # STOP_WAIT_S on a disk that stopped answering, of the stop's budget under systemd's TimeoutStopSec.
    disk = StalledDisk(monkeypatch)
    writer = LogWriter([LogFile(tmp_path / "pyseb.log", 0, 0, errors_to_stderr=False)])
    writer.handle(logging.makeLogRecord({"msg": "held", "levelno": logging.INFO, "levelname": "INFO"}))
    assert disk.writing.wait(BOUND_S)
    try:
        assert not writer.wait_written(0.1)
        assert _returns(lambda: writer.wait_written(3 * BOUND_S)), "waited again for a disk that did not answer"
        disk.release()
        # (the disk answers again: once it has written what the first wait waited for, a wait waits again)
        for _ in range(200):
            if writer.wait_written(BOUND_S):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the lines were never written once the disk answered")
        assert "held" in (tmp_path / "pyseb.log").read_text()
    finally:
        disk.release()
        writer.close()


def test_the_process_ends_though_the_disk_holds_a_line(tmp_path: Path) -> None:
    # The end's wait gave up after 1 s, but logging.shutdown (at the process's exit) then took the file handler's lock
    # to flush and close it: held by the writer in a write the disk had not finished, the process never ended (a
    # systemd stop timed out, then killed it), while the close was said to be bounded.
    script = textwrap.dedent(f"""
        import logging, threading
        from pathlib import Path
        from shell import log_writer
        from shell.logsetup import LogFile, setup_logging

        log_writer.STOP_WAIT_S = 0.2
        writing = threading.Event()

        def stalled(handler, record):
            writing.set()
            threading.Event().wait()  # (a disk that does not answer again while the process ends)

        LogFile.emit = stalled
        setup_logging("INFO", Path({str(tmp_path / "pyseb.log")!r}), stderr=False, on_a_thread=True)
        logging.getLogger("t").info("held")
        logging.getLogger("t").info("queued behind it")
        assert writing.wait({BOUND_S})
        log_writer.wait_log_written(0.2)  # (as regulation.main's end: gives up)
        print("ending")
    """)
    try:
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                              timeout=BOUND_S * 3, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("the process did not end: logging.shutdown waited for the stalled write")
    assert (done.returncode, done.stdout) == (0, "ending\n"), done.stderr


def test_a_reopen_asked_while_the_queue_is_full_is_done_once_the_disk_answers(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Its reopen found the queue full behind the stalled disk and was not done, said "no log file to reopen": the lines
    # went on into the file logrotate had moved aside (then compressed, or removed), until the next SIGHUP.
    monkeypatch.setattr(writer_module, "MAX_WAITING", 2)
    disk = StalledDisk(monkeypatch)
    path = tmp_path / "pyseb.log"
    setup_logging("INFO", path, stderr=False, on_a_thread=True)
    said = logging.getLogger("t")
    said.info("held")
    assert disk.writing.wait(BOUND_S)
    said.info("queued 0")
    said.info("queued 1")  # (the queue full)
    reopened = reopen_log_files()
    path.rename(tmp_path / "pyseb.log.1")  # (logrotate, after its SIGHUP)
    disk.release()
    writer = writer_module.log_writer()
    assert writer is not None and writer.wait_written()
    said.info("after")
    assert writer.wait_written()
    assert reopened == [str(path)]
    assert "t: after" in path.read_text()
