"""Speed benchmarks run by `minigan bench conv|toy|dcgan` (never timed inside tests)."""
