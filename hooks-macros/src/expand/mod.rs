//! Code generation: `quote!` only.

pub(crate) mod callback;
pub(crate) mod derive;
pub(crate) mod hooks;
pub(crate) mod paths;
pub(crate) mod stage;
