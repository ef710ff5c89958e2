"""The demo and its generated data: `pp demo`, and the synthetic feeds the benchmarks and
tests use too. The product never imports it."""
