"""The till's domain and services, shared by the register and the kiosk. Never imports Textual."""
