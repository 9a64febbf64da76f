"""Small helpers shared by the UI tests."""

from __future__ import annotations

from rich.console import Console


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish, their messages be handled, the detail pane load and the initiator tab finish.

    The detail pane waits for a fast-moving cursor to rest (a short timer) and the initiator tab
    runs iscsiadm in workers, so this polls their state (``pending``; ``busy``, ``refreshing``),
    for at most 20 s.
    """
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    for _ in range(400):
        if _quiet(pilot.app):
            await pilot.pause()
            if _quiet(pilot.app):
                break
        await pilot.pause(0.05)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _quiet(app) -> bool:
    from .initiator_tab_helpers import tab

    detail = _detail(app)
    screen = tab(app)
    return (detail is None or not detail.pending) and (screen is None or (screen.busy is None and not screen.refreshing))


def _detail(app):
    from sanctl.ui.widgets.detail import DetailPane

    for screen in app.screen_stack:
        found = screen.query(DetailPane)
        if found:
            return found.first()
    return None


def visible_paths(tree) -> list[str]:
    """The paths of the tree's lines, top to bottom."""
    paths = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        paths.append(node.data.path if node is not None and node.data is not None else "<loading>")
    return paths


def renderable_text(renderable, width: int = 200) -> str:
    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))
    console.print(renderable)
    return console.export_text()


def detail_text(screen) -> str:
    """Everything the detail pane holds, scrolled or not, as plain text (values unwrapped: drawn 200 wide)."""
    pane = screen.detail
    if pane.details is not None and not pane.pending:
        return renderable_text(pane.render_details(pane.details, width=200))
    return renderable_text(pane.body.content)
