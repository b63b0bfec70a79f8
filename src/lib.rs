//! Integration tests, examples and benchmarks of the hooks workspace.
