import gzip
import json

import numpy as np
import pytest

from gaze_capture import Fixations, FormatError, Samples, ScreenGeometry, View
from gaze_capture.formats import (
    EGD_COLUMNS,
    FIXATION_COLUMNS,
    GAZE_COLUMNS,
    Word,
    read_bids_physio,
    read_egdcxr_fixations,
    read_reflacx_fixations,
    read_reflacx_gaze,
    read_reflacx_transcription,
    write_bids_physio,
    write_egdcxr_fixations,
    write_reflacx_fixations,
    write_reflacx_gaze,
    write_reflacx_transcription,
)

VIEWS = [
    View(0.0, (0, 0, 2544, 3056), (300, 0, 1700, 1680), (3056, 2544), window_width=4095, window_level=2047),
    View(
        1500.0,
        (500, 600, 1772, 2128),
        (300, 0, 1700, 1680),
        (3056, 2544),
        window_width=2000,
        window_level=1000,
    ),
]


def fixations():
    on = np.array([0.0, 400.0, 1600.0, 2100.0])
    dur = np.array([300.0, 250.5, 420.0, 180.0])
    return Fixations(
        onset_ms=on, offset_ms=on + dur, duration_ms=dur, x=[10.5, 800, 1200.25, 900], y=[20, 1500, 700, 2000]
    )


def test_reflacx_fixations_round_trip_exact_columns(tmp_path):
    p = tmp_path / "fixations.csv"
    f = fixations()
    write_reflacx_fixations(
        p,
        f,
        views=VIEWS,
        view_index=[0, 0, 1, 1],
        ppd_x=40.2,
        ppd_y=[40.1] * 4,
        pupil=[0.5, np.nan, 0.7, 0.8],
    )
    header = p.read_text().splitlines()[0].split(",")
    assert tuple(header) == FIXATION_COLUMNS
    # REFLACX stores seconds
    assert p.read_text().splitlines()[2].split(",")[0] == "0.4"
    r = read_reflacx_fixations(p, image_shape=(3056, 2544))
    for name in ("onset_ms", "offset_ms", "duration_ms", "x", "y"):
        assert np.allclose(getattr(r.fixations, name), getattr(f, name))
    assert np.isnan(r.pupil[1]) and r.pupil[2] == 0.7
    assert r.view_index.tolist() == [0, 0, 1, 1]
    assert [v.image_region for v in r.views] == [v.image_region for v in VIEWS]
    assert r.views[1].window_width == 2000 and r.views[1].image_shape == (3056, 2544)
    assert r.ppd_x.tolist() == [40.2] * 4


def test_reflacx_gaze_and_transcription_round_trip(tmp_path):
    t = np.arange(0, 3000, 1.0)
    x = np.linspace(0, 2000, t.size)
    x[100:120] = np.nan
    s = Samples.from_arrays(t, x, np.full(t.size, 1000.0), pupil=np.full(t.size, 0.3))
    write_reflacx_gaze(
        tmp_path / "gaze.csv", s, views=VIEWS, view_index=(t >= 1500).astype(int), ppd_x=40.0, ppd_y=40.0
    )
    assert tuple((tmp_path / "gaze.csv").read_text().splitlines()[0].split(",")) == GAZE_COLUMNS
    g = read_reflacx_gaze(tmp_path / "gaze.csv")
    assert np.allclose(g.samples.t_ms, t) and (g.samples.valid == s.valid).all()
    assert np.allclose(g.samples.x[s.valid], x[s.valid]) and len(g.views) == 2
    words = [Word("small", 100.0, 420.0), Word("effusion,", 450.5, 900.0)]
    write_reflacx_transcription(tmp_path / "timestamps_transcription.csv", words)
    back = read_reflacx_transcription(tmp_path / "timestamps_transcription.csv")
    assert [w.word for w in back] == ["small", "effusion,"]
    assert back[1].start_ms == pytest.approx(450.5)


def test_reflacx_malformed_files_name_file_and_line(tmp_path):
    p = tmp_path / "fixations.csv"
    write_reflacx_fixations(p, fixations(), views=VIEWS, view_index=[0, 0, 1, 1], ppd_x=40, ppd_y=40)
    lines = p.read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "left"
    (tmp_path / "bad1.csv").write_text("\n".join([*lines[:3], ",".join(cells), *lines[4:]]) + "\n")
    with pytest.raises(FormatError, match=r"bad1.csv:line 4.*x_position"):
        read_reflacx_fixations(tmp_path / "bad1.csv")
    (tmp_path / "bad2.csv").write_text("\n".join([*lines[:2], lines[2] + ",extra", *lines[3:]]) + "\n")
    with pytest.raises(FormatError, match=r"bad2.csv:line 3.*fields"):
        read_reflacx_fixations(tmp_path / "bad2.csv")
    (tmp_path / "bad3.csv").write_text(lines[0].replace("x_position,", "") + "\n")
    with pytest.raises(FormatError, match=r"line 1.*x_position"):
        read_reflacx_fixations(tmp_path / "bad3.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(FormatError, match="empty"):
        read_reflacx_fixations(tmp_path / "empty.csv")


def test_egdcxr_round_trip_and_multi_row_fixations(tmp_path):
    f = fixations()
    p = tmp_path / "fixations.csv"
    write_egdcxr_fixations(
        p,
        session_id="S1",
        dicom_id="d1",
        fixations=f,
        screen_x=[0.1, 0.2, 0.3, 0.4],
        screen_y=[0.5, 0.5, 0.6, 0.7],
    )
    assert tuple(p.read_text().splitlines()[0].split(",")) == EGD_COLUMNS
    r = read_egdcxr_fixations(p)["d1"]
    assert r.session_id == "S1" and r.fixation_id.tolist() == [1, 2, 3, 4]
    assert np.allclose(r.fixations.onset_ms, f.onset_ms) and np.allclose(
        r.fixations.duration_ms, f.duration_ms
    )
    assert np.allclose(r.fixations.x, f.x) and np.allclose(r.screen_y, [0.5, 0.5, 0.6, 0.7])
    # Gazepoint style: several rows per FPOGID, an invalid row, two images
    rows = [
        ",".join(EGD_COLUMNS),
        "S1,a,0.00,0.1,0.1,0.05,7,1,10,10",
        "S1,a,0.05,0.1,0.1,0.10,7,1,11,12",
        "S1,a,0.10,0.9,0.9,0.00,8,0,0,0",
        "S1,a,0.20,0.5,0.5,0.30,9,1,50,60",
        "S1,b,0.00,0.2,0.2,0.20,1,1,5,5",
    ]
    (tmp_path / "gp.csv").write_text("\n".join(rows) + "\n")
    r2 = read_egdcxr_fixations(tmp_path / "gp.csv")
    assert list(r2) == ["a", "b"]
    assert r2["a"].fixations.duration_ms.tolist() == [100.0, 300.0]
    assert r2["a"].fixations.x.tolist() == [11.0, 50.0] and r2["a"].fixations.onset_ms.tolist() == [
        0.0,
        200.0,
    ]
    rows[2] = "S1,a,-1,0.1,0.1,0.10,7,1,11,12"
    (tmp_path / "back.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(FormatError, match=r"back.csv:line 3.*backwards"):
        read_egdcxr_fixations(tmp_path / "back.csv")


def test_bids_round_trip_and_sidecar(tmp_path):
    g = ScreenGeometry(1920, 1080, 531.0, 299.0, 650.0)
    t = np.arange(0, 100, 1000 / 60)
    x = np.linspace(0, 1900, t.size)
    x[2] = np.nan
    s = Samples.from_arrays(t, x, np.full(t.size, 500.0), pupil=np.full(t.size, 3.2))
    p = tmp_path / "sub-01_task-read_run-1_recording-eye1_physio.tsv.gz"
    sp = write_bids_physio(p, s, sampling_frequency_hz=60.0, geometry=g, manufacturer="Simulated")
    side = json.loads(sp.read_text())
    assert sp.name == "sub-01_task-read_run-1_recording-eye1_physio.json"
    assert side["SamplingFrequency"] == 60.0 and side["Columns"][0] == "timestamp"
    assert side["SampleCoordinateSystem"] == "gaze-on-screen" and side["ScreenResolution"] == [1920, 1080]
    with gzip.open(p, "rt") as fh:
        first = fh.readline().rstrip("\n").split("\t")
    assert len(first) == 4 and float(first[0]) == 0.0
    back, side2, g2 = read_bids_physio(p)
    assert np.allclose(back.t_ms, t) and (back.valid == s.valid).all() and np.allclose(back.pupil, 3.2)
    assert g2 == g


def test_bids_bad_input(tmp_path):
    s = Samples.from_arrays([0.0, 1.0], [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(FormatError, match="physio.tsv.gz"):
        write_bids_physio(tmp_path / "x.tsv", s, sampling_frequency_hz=1000)
    p = tmp_path / "sub-01_physio.tsv.gz"
    write_bids_physio(p, s, sampling_frequency_hz=1000)
    (tmp_path / "sub-01_physio.json").write_text('{\n  "Columns": [}\n')
    with pytest.raises(FormatError, match="sub-01_physio.json:line 2"):
        read_bids_physio(p)
    (tmp_path / "sub-01_physio.json").unlink()
    with pytest.raises(FormatError, match="missing JSON sidecar"):
        read_bids_physio(p)
    write_bids_physio(p, s, sampling_frequency_hz=1000)
    with gzip.open(p, "wt") as fh:
        fh.write("0\t1\t1\tn/a\n5\t1\t1\tn/a\n2\t1\t1\tn/a\n")
    with pytest.raises(FormatError, match="line 3"):
        read_bids_physio(p)


def test_egdcxr_transcript_round_trip_and_sentences(tmp_path):
    from gaze_capture.formats import read_egdcxr_transcript, write_egdcxr_transcript
    from gaze_capture.transcripts import sentence_spans

    phrases = [Word("the heart size is normal.", 1000.0, 2500.5), Word("no effusion.", 3000.0, 3900.0)]
    p = tmp_path / "transcript.json"
    write_egdcxr_transcript(p, phrases)
    text, back = read_egdcxr_transcript(p)
    assert text == "the heart size is normal. no effusion."
    assert back == phrases
    assert [s.text for s in sentence_spans(back)] == ["the heart size is normal.", "no effusion."]
    p.write_text('{"time_stamped_text": [{"phrase": "x", "begin_time": 2, "end_time": 1}]}')
    with pytest.raises(FormatError, match=r"\[0\] ends before"):
        read_egdcxr_transcript(p)
