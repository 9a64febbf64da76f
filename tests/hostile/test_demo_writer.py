"""Issue 14, reproducer 8: the demo writer keeps every file it creates inside the demo root, links or not."""

from __future__ import annotations

import pytest


@pytest.fixture
def linked(demo, tmp_path):
    """The demo's writer, with a link out of the root and a dangling one in ``/srv``."""
    from sanctl.sim.writer import SimWriter

    root = demo
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "srv").mkdir(exist_ok=True)
    (root / "srv" / "link").symlink_to(elsewhere)
    (root / "srv" / "dangling.img").symlink_to(elsewhere / "made.img")
    return SimWriter(str(root)), root, elsewhere


@pytest.mark.parametrize("file", ["/srv/link/x.img", "/srv/dangling.img"])
def test_a_link_out_of_the_demo_root_is_refused(linked, file):
    from sanctl.lio import changes as C

    writer, root, elsewhere = linked
    report = writer.apply([C.CreateFileio("escape", file, "1M")])
    assert not report.ok
    assert "outside the demo root" in report.message() + " ".join(report.lines())
    assert list(elsewhere.iterdir()) == []


def test_a_link_that_stays_inside_the_root_is_followed(linked):
    from sanctl.lio import changes as C

    writer, root, _ = linked
    (root / "srv" / "inside").mkdir()
    (root / "srv" / "alias").symlink_to(root / "srv" / "inside")
    report = writer.apply([C.CreateFileio("kept", "/srv/alias/y.img", "1M")])
    assert report.ok, report.message()
    assert (root / "srv" / "inside" / "y.img").is_file()
