"""AppWatch benchmarks: `make bench` runs them all; results go to benchmarks/RESULTS.md."""
