"""The demo and its generated data: `pp demo`, the synthetic feeds the benchmarks and tests
use too. The product never imports it; it needs the `demo` extra (numpy) installed."""
