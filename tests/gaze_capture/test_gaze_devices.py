"""Device adapters against protocol-level fakes: a fake Gazepoint TCP server, fake SDK modules."""

import socket
import sys
import threading
import time
import types

import numpy as np
import pytest

from gaze_capture import (
    DeviceDisconnectedError,
    DeviceError,
    DeviceUnavailableError,
    InvalidSamplesError,
    Samples,
    UnknownNameError,
)
from gaze_capture.devices import BrowserFeed, device_names, load_recording, open_device
from gaze_capture.formats import write_bids_physio


def drain(dev, max_reads=1000):
    parts = []
    for _ in range(max_reads):
        b = dev.read(timeout_s=0.05)
        if b is None:
            break
        parts.append(b)
    return Samples.concatenate(parts)


def test_registry():
    assert {"simulator", "replay", "browser", "gazepoint", "tobii", "pupil_labs", "eyelink"} <= set(
        device_names()
    )
    with pytest.raises(UnknownNameError, match="simulator"):
        open_device("eyelink2000x")


def test_simulator_batches_and_lifecycle():
    dev = open_device("simulator", duration_ms=2000, rate_hz=500, batch_ms=100, clock_offset_ms=5e6)
    with pytest.raises(DeviceError, match="before connect"):
        dev.start()
    with dev:
        dev.start()
        first = dev.read()
        assert first is not None and len(first) == 50 and first.t_ms[0] == 5e6
        rest = drain(dev)
        assert len(first) + len(rest) == 1000
    assert not dev.connected


def test_simulator_disconnect_mid_stream():
    dev = open_device("simulator", duration_ms=2000, rate_hz=250, disconnect_after_ms=500)
    dev.connect()
    dev.start()
    with pytest.raises(DeviceDisconnectedError):
        drain(dev)


def test_replay_bids_file(tmp_path):
    t = np.arange(0, 1000, 2.0)
    s = Samples.from_arrays(t, np.linspace(0, 100, t.size), np.zeros(t.size))
    p = tmp_path / "sub-01_physio.tsv.gz"
    write_bids_physio(p, s, sampling_frequency_hz=500)
    dev = open_device("replay", path=p, batch_ms=250)
    dev.connect()
    dev.start()
    got = drain(dev)
    assert np.allclose(got.t_ms, t) and np.allclose(got.x, s.x)
    assert len(load_recording(p)) == t.size


def test_browser_feed_validates_and_orders():
    feed = BrowserFeed()
    feed.connect()
    feed.start()
    feed.push({"t": [0, 16.7, 33.3], "x": [100, None, 120], "y": [50, 50, 50], "valid": [True, True, True]})
    b = feed.read()
    assert b.valid.tolist() == [True, False, True]
    assert feed.read(timeout_s=0.01) is None
    with pytest.raises(InvalidSamplesError, match="before the previous batch"):
        feed.push({"t": [10.0], "x": [1], "y": [1]})
    with pytest.raises(InvalidSamplesError, match="sample index 1"):
        feed.push({"t": [50.0, 40.0], "x": [1, 1], "y": [1, 1]})
    with pytest.raises(InvalidSamplesError, match="lacks"):
        feed.push({"t": [60.0], "x": [1]})


class FakeGazepointServer(threading.Thread):
    """Speaks the Open Gaze API: ACKs SET/GET, streams REC lines once data is enabled, calibrates."""

    def __init__(self, n_records=300, drop_after=None, garbage_at=None):
        super().__init__(daemon=True)
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.n_records, self.drop_after, self.garbage_at = n_records, drop_after, garbage_at
        self.commands = []

    def run(self):
        conn, _ = self.srv.accept()
        conn.settimeout(5)
        buf = b""
        sending = False
        i = 0
        try:
            while True:
                if not sending or b"\n" in buf:
                    try:
                        chunk = conn.recv(4096)
                    except TimeoutError:
                        break
                    if not chunk:
                        break
                    buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line = line.strip().decode()
                    self.commands.append(line)
                    ident = line.split('ID="')[1].split('"')[0]
                    if line.startswith("<GET") and ident == "SCREEN_SIZE":
                        conn.sendall(b'<ACK ID="SCREEN_SIZE" X="0" Y="0" WIDTH="1920" HEIGHT="1080" />\r\n')
                    elif line.startswith("<SET"):
                        state = line.split('STATE="')[1].split('"')[0]
                        conn.sendall(f'<ACK ID="{ident}" STATE="{state}" />\r\n'.encode())
                        if ident == "ENABLE_SEND_DATA":
                            sending = state == "1"
                        if ident == "CALIBRATE_START":
                            conn.sendall(b'<CAL ID="CALIB_RESULT" AVE_ERROR="0.42" VALID_POINTS="5" />\r\n')
                if sending:
                    conn.setblocking(False)
                    while sending and i < self.n_records:
                        if self.drop_after is not None and i == self.drop_after:
                            conn.close()
                            return
                        if self.garbage_at is not None and i == self.garbage_at:
                            conn.sendall(b'<REC TIME="oops\r\n')
                        valid = "0" if i % 50 == 0 else "1"
                        rec = (
                            f'<REC TIME="{10 + i / 150:.5f}" BPOGX="{0.25 + i * 1e-3:.4f}" BPOGY="0.5"'
                            f' BPOGV="{valid}" LPD="3.5" />\r\n'
                        )
                        conn.sendall(rec.encode())
                        i += 1
                    conn.setblocking(True)
                    conn.settimeout(0.5)
                    try:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        buf += chunk
                    except (TimeoutError, BlockingIOError):
                        pass
        finally:
            conn.close()
            self.srv.close()


def test_gazepoint_streams_in_device_time_and_pixels():
    srv = FakeGazepointServer(n_records=300)
    srv.start()
    dev = open_device("gazepoint", port=srv.port, timeout_s=2)
    dev.connect()
    assert dev.info["screen_size"] == (1920, 1080)
    assert dev.calibrate()["AVE_ERROR"] == "0.42"
    dev.start()
    got = []
    deadline = time.monotonic() + 5
    while sum(len(g) for g in got) < 300 and time.monotonic() < deadline:
        b = dev.read(timeout_s=0.2)
        if b is not None:
            got.append(b)
    s = Samples.concatenate(got)
    assert len(s) == 300
    assert s.t_ms[0] == pytest.approx(10000.0) and np.allclose(np.diff(s.t_ms), 1000 / 150, atol=0.02)
    assert s.x[1] == pytest.approx((0.25 + 1e-3) * 1920) and s.y[1] == pytest.approx(540.0)
    assert (~s.valid).sum() == 6 and s.host_t_ms is not None
    assert any("ENABLE_SEND_POG_BEST" in c for c in srv.commands)
    dev.close()


def test_gazepoint_disconnect_and_garbage_raise():
    srv = FakeGazepointServer(n_records=300, drop_after=100)
    srv.start()
    dev = open_device("gazepoint", port=srv.port, timeout_s=2)
    dev.connect()
    dev.start()
    with pytest.raises(DeviceDisconnectedError, match="closed"):
        for _ in range(200):
            dev.read(timeout_s=0.2)
    dev.close()
    srv2 = FakeGazepointServer(n_records=50, garbage_at=10)
    srv2.start()
    dev2 = open_device("gazepoint", port=srv2.port, timeout_s=2)
    dev2.connect()
    dev2.start()
    with pytest.raises(DeviceError, match="malformed record"):
        for _ in range(200):
            dev2.read(timeout_s=0.2)
    dev2.close()


def test_gazepoint_refused_connection():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(DeviceError, match="cannot connect"):
        open_device("gazepoint", port=port, timeout_s=0.5).connect()


@pytest.fixture
def fake_tobii(monkeypatch):
    mod = types.ModuleType("tobii_research")
    mod.EYETRACKER_GAZE_DATA = "gaze"

    class Tracker:
        model, serial_number = "Fake Spectrum", "T-1"

        def __init__(self):
            self.cb = None

        def get_gaze_output_frequency(self):
            return 600.0

        def subscribe_to(self, stream, cb, as_dictionary=False):
            assert stream == "gaze" and as_dictionary
            self.cb = cb

            def emit():
                for i in range(120):
                    cb(
                        {
                            "device_time_stamp": 1_000_000 + i * 1667,
                            "system_time_stamp": 9_000_000 + i * 1667,
                            "left_gaze_point_on_display_area": (0.4, 0.5),
                            "left_gaze_point_validity": 1,
                            "right_gaze_point_on_display_area": (0.6, 0.5),
                            "right_gaze_point_validity": 0 if i % 2 else 1,
                            "left_pupil_diameter": 3.0,
                            "left_pupil_validity": 1,
                            "right_pupil_diameter": 4.0,
                            "right_pupil_validity": 1,
                        }
                    )

            threading.Thread(target=emit, daemon=True).start()

        def unsubscribe_from(self, stream, cb):
            self.cb = None

    class Result:
        status = "calibration_status_success"
        calibration_points = [1, 2, 3, 4, 5]

    class Cal:
        def __init__(self, tracker):
            self.points = []

        def enter_calibration_mode(self):
            pass

        def collect_data(self, x, y):
            self.points.append((x, y))

        def compute_and_apply(self):
            return Result()

        def leave_calibration_mode(self):
            pass

    tracker = Tracker()
    mod.find_all_eyetrackers = lambda: [tracker]
    mod.ScreenBasedCalibration = Cal
    monkeypatch.setitem(sys.modules, "tobii_research", mod)
    return tracker


def test_tobii_with_fake_sdk(fake_tobii):
    dev = open_device("tobii", screen_size=(1000, 800))
    dev.connect()
    assert dev.info["rate_hz"] == 600.0
    assert dev.calibrate()["status"] == "calibration_status_success"
    dev.start()
    got = []
    deadline = time.monotonic() + 5
    while sum(len(g) for g in got) < 120 and time.monotonic() < deadline:
        b = dev.read(timeout_s=0.2)
        if b is not None:
            got.append(b)
    s = Samples.concatenate(got)
    assert len(s) == 120 and s.t_ms[0] == 1000.0 and s.host_t_ms[0] == 9000.0
    assert s.x[0] == pytest.approx(500.0) and s.x[1] == pytest.approx(400.0)  # both eyes vs left only
    assert s.pupil[0] == pytest.approx(3.5)
    dev.close()
    assert fake_tobii.cb is None


def test_tobii_missing_sdk(monkeypatch):
    monkeypatch.setitem(sys.modules, "tobii_research", None)
    with pytest.raises(DeviceUnavailableError, match="tobii_research"):
        open_device("tobii").connect()


def test_pupil_labs_with_fake_api(monkeypatch):
    data = [
        types.SimpleNamespace(x=100.0 + i, y=200.0, worn=i != 3, timestamp_unix_seconds=1.7e9 + i / 200)
        for i in range(10)
    ]

    class Dev:
        phone_name = "Fake Neon"
        closed = False

        def receive_gaze_datum(self, timeout_seconds=None):
            return data.pop(0) if data else None

        def close(self):
            Dev.closed = True

    api = types.ModuleType("pupil_labs.realtime_api.simple")
    api.discover_one_device = lambda: Dev()
    monkeypatch.setitem(sys.modules, "pupil_labs", types.ModuleType("pupil_labs"))
    monkeypatch.setitem(sys.modules, "pupil_labs.realtime_api", types.ModuleType("pupil_labs.realtime_api"))
    monkeypatch.setitem(sys.modules, "pupil_labs.realtime_api.simple", api)
    dev = open_device("pupil_labs", to_screen=lambda x, y: (x * 2, y * 2))
    dev.connect()
    dev.start()
    s = dev.read(timeout_s=0.1)
    assert len(s) == 10 and s.x[0] == 200.0 and not s.valid[3]
    assert np.allclose(np.diff(s.t_ms), 5.0, atol=1e-3)
    dev.close()
    assert Dev.closed


def test_eyelink_with_fake_pylink(monkeypatch):
    pl = types.ModuleType("pylink")
    pl.MISSING_DATA = -32768.0
    pl.SAMPLE_TYPE = 200

    class Eye:
        def __init__(self, x, y, p):
            self.g, self.p = (x, y), p

        def getGaze(self):
            return self.g

        def getPupilSize(self):
            return self.p

    class Sample:
        def __init__(self, t, left, right):
            self.t, self.l, self.r = t, left, right

        def getTime(self):
            return self.t

        def isLeftSample(self):
            return self.l is not None

        def isRightSample(self):
            return self.r is not None

        def getLeftEye(self):
            return self.l

        def getRightEye(self):
            return self.r

    class Tracker:
        def __init__(self, address):
            self.commands = []
            self.queue = []
            for i in range(30):
                left = Eye(100.0 + i, 200.0, 800.0)
                right = (
                    Eye(pl.MISSING_DATA, pl.MISSING_DATA, 0.0) if i % 3 == 0 else Eye(110.0 + i, 210.0, 900.0)
                )
                self.queue += [(200, Sample(5000.0 + i, left, right)), (1, None)]
            self.queue.insert(4, (200, Sample(5001.0, Eye(0, 0, 0), None)))  # a repeated sample
            self.connected = True

        def sendCommand(self, c):
            self.commands.append(c)

        def startRecording(self, *a):
            return 0

        def stopRecording(self):
            pass

        def close(self):
            self.connected = False

        def isConnected(self):
            return self.connected

        def getNextData(self):
            if not self.queue:
                return 0
            kind, self._cur = self.queue.pop(0)
            return kind

        def getFloatData(self):
            return self._cur

        def doTrackerSetup(self):
            self.commands.append("setup")

    pl.EyeLink = Tracker
    monkeypatch.setitem(sys.modules, "pylink", pl)
    dev = open_device("eyelink", sample_rate_hz=1000)
    dev.connect()
    assert dev.calibrate()["status"] == "done"
    dev.start()
    s = drain(dev)
    assert len(s) == 30 and s.t_ms[0] == 5000.0 and np.all(np.diff(s.t_ms) == 1.0)
    assert s.x[0] == 100.0 and s.x[1] == pytest.approx(106.0) and s.pupil[1] == pytest.approx(850.0)
    assert "sample_rate 1000" in dev._tk.commands
    dev._tk.connected = False
    dev._tk.queue = [(200, None)]
    with pytest.raises(DeviceDisconnectedError):
        dev.read()
