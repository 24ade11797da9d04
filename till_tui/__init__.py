"""What the register and the kiosk share as Textual apps: the worker policy and the crash report."""
