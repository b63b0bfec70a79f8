//! Code generation: `quote!` only.

pub(crate) mod callback;
pub(crate) mod contract;
pub(crate) mod derive;
pub(crate) mod hooks;
pub(crate) mod message;
pub(crate) mod paths;
pub(crate) mod stage;
