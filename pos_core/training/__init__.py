"""Training mode's domain, with no Textual: scenarios as data, the scoring of a trainee's run,
the result files, the trainer's report, and the sandbox loyalty service training runs against."""
