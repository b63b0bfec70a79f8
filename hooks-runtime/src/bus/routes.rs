//! Which message handlers of a component a message goes to, built once when it starts.

use std::collections::HashMap;

use hooks_core::{HookInfo, Hooks, HooksMixin, Key};

use super::{OnCommand, OnMessage, OnPullMessage, OnRequest};

/// Message type → positions of the handlers (in run order) of each message hook type.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    pub(crate) message: HashMap<Key, Vec<usize>>,
    pub(crate) command: HashMap<Key, Vec<usize>>,
    pub(crate) request: HashMap<Key, Vec<usize>>,
    pub(crate) pull: HashMap<Key, Vec<usize>>,
}

impl Routes {
    /// The routes of `component`, its params resolved now (dynamic ones see its current state).
    pub(crate) fn of<T: Hooks>(component: &T) -> Routes {
        Routes {
            message: table(component.hooks::<OnMessage>()),
            command: table(component.hooks::<OnCommand>()),
            request: table(component.hooks::<OnRequest>()),
            pull: table(component.hooks::<OnPullMessage>()),
        }
    }
}

fn table(hooks: Vec<HookInfo>) -> HashMap<Key, Vec<usize>> {
    let mut table: HashMap<Key, Vec<usize>> = HashMap::new();
    for (position, hook) in hooks.iter().enumerate() {
        for key in hook.params.iter().filter_map(|p| p.as_key()) {
            let positions = table.entry(key.clone()).or_default();
            // A handler listing a type twice still runs once per message.
            if positions.last() != Some(&position) {
                positions.push(position);
            }
        }
    }
    table
}
