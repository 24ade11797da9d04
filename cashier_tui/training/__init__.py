"""Training mode, the Textual side: the real register on a sandbox service, with a banner, the
customer played through the simulated devices, hints, and a result at the end of each scenario.
The domain (scenarios, scoring, results, report, sandbox) is ``pos_core.training``."""
