"""The devices as the Textual apps receive them: messages, the keyboard-wedge key filter, and the
bridge that runs a terminal's readers for an app. Both apps (register and kiosk) use it."""
