//! THE transition table of a component's lifecycle, in one place.
//!
//! ```text
//! Created ──► Initializing ──► Initialized ──► Starting ──► Running
//!                  │                               │           │
//!                  └──────────► Failed ◄───────────┘           │
//! Created, Initialized, Failed, Running ──► Stopping ──► Stopped
//! ```

use hooks_core::LifecycleState::{self, *};

/// Whether a component may go from `from` to `to`.
pub(crate) fn allowed(from: LifecycleState, to: LifecycleState) -> bool {
    matches!(
        (from, to),
        (Created, Initializing)
            | (Initializing, Initialized | Failed)
            | (Initialized, Starting)
            | (Starting, Running | Failed)
            | (Created | Initialized | Running | Failed, Stopping)
            | (Stopping, Stopped)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [LifecycleState; 8] = [Created, Initializing, Initialized, Starting, Running, Stopping, Stopped, Failed];

    #[test]
    fn the_happy_path_is_allowed_and_nothing_leaves_stopped() {
        let path = [Created, Initializing, Initialized, Starting, Running, Stopping, Stopped];
        assert!(path.windows(2).all(|w| allowed(w[0], w[1])));
        assert!(ALL.iter().all(|&to| !allowed(Stopped, to)));
        assert!(!allowed(Running, Starting));
        assert!(!allowed(Failed, Starting), "a failed component can only be stopped");
        assert!(ALL.iter().all(|&s| !allowed(s, s)));
    }
}
