"""Benchmarks: real processes, real figures, printed as `figure:` lines against targets."""
