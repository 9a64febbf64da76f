"""Counts on screen go through sanctl/words.py: one session is "1 session" (Pilot, live demo, fake clocks)."""

from __future__ import annotations

from .live_helpers import Clocks, live_app, live_root, sample


async def test_initiator_panel_says_1_session_not_1_sessions(tmp_path):
    clocks = Clocks()
    app = live_app(live_root(tmp_path), clocks)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await sample(pilot, clocks)
        grid = app.screen.grid
        assert str(grid.border_subtitle) == "2 sessions"  # the RAC session and the demo-mode scratch one
        for _ in range(8):  # the scratch session is there two minutes out of six: wait until it is gone
            clocks.step(60)
            await sample(pilot, clocks)
            if len([k for k in grid.visible_keys() if k[0] == "isession"]) == 1:
                break
        assert len([k for k in grid.visible_keys() if k[0] == "isession"]) == 1
        assert str(grid.border_subtitle) == "1 session"
