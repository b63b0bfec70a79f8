//! Integration tests, examples and benchmarks of the hooks workspace (see `tests/`, `examples/`,
//! `benches/`). This library is empty; it doc-tests the README and the guide in `docs/`.

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/concepts.md")]
struct ConceptsDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/lifecycle.md")]
struct LifecycleDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/messaging.md")]
struct MessagingDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/named-hooks.md")]
struct NamedHooksDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/stages.md")]
struct StagesDoctests;

#[cfg(doctest)]
#[doc = include_str!("../docs/timeline.md")]
struct TimelineDoctests;
