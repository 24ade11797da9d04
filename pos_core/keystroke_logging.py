"""Whether Textual is recording every keystroke, and the words to warn with.

With ``TEXTUAL_LOG=FILE`` set, Textual writes each key event and each ``Input.Changed(value=...)`` to
FILE; with devtools on (``TEXTUAL=devtools``, as ``textual run --dev`` sets) it sends them to the
devtools console. A card number or PIN typed at the till is then kept in clear. The apps warn on
screen and in their log at start (they do not refuse: a developer or trainer may need the log).
"""

from __future__ import annotations

from collections.abc import Mapping


def keystroke_recording_warning(environ: Mapping[str, str]) -> str | None:
    """The warning to show when ``environ`` makes Textual record keystrokes, else None."""
    features = {part.strip().lower() for part in environ.get("TEXTUAL", "").split(",")}
    recorders = []
    if environ.get("TEXTUAL_LOG", "").strip():
        recorders.append("TEXTUAL_LOG writes them to a file")
    if "devtools" in features:
        recorders.append("devtools (TEXTUAL=devtools) sends them to its console")
    if not recorders:
        return None
    return (
        f"Every key typed here is being recorded: {' and '.join(recorders)}, card numbers and PINs"
        " included. Do not serve customers on this till; restart it without that setting."
    )
