"""The register: the screen a cashier works at."""
