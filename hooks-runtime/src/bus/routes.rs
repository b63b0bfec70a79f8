//! Which message handlers of a component a message goes to, built once when it starts.

use std::collections::HashMap;

use hooks_core::{HookError, HookInfo, Hooks, HooksMixin, Key};

use super::{OnCommand, OnMessage, OnPullMessage, OnRequest};

/// A map by message type. A [`Key`] hashes as one `u64` it computed when it was made (from its
/// type and `Debug` text), so the map only needs to spread that word: FxHash, no SipHash per
/// look-up.
pub(crate) type KeyMap<V> = HashMap<Key, V, rustc_hash::FxBuildHasher>;

/// Message type → positions of the handlers (in run order) of each message hook type.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    pub(crate) message: KeyMap<Vec<usize>>,
    pub(crate) command: KeyMap<Vec<usize>>,
    pub(crate) request: KeyMap<Vec<usize>>,
    pub(crate) pull: KeyMap<Vec<usize>>,
}

impl Routes {
    /// The routes of `component`, its params resolved now (dynamic ones see its current state);
    /// a params closure that panics is that hook's error.
    pub(crate) fn try_of<T: Hooks>(component: &T) -> Result<Routes, HookError> {
        Ok(Routes {
            message: table(&component.try_hooks::<OnMessage>()?),
            command: table(&component.try_hooks::<OnCommand>()?),
            request: table(&component.try_hooks::<OnRequest>()?),
            pull: pull_table(component.try_hooks::<OnPullMessage>()?)?,
        })
    }
}

/// [`table`] for work-queue handlers: a pulled message is handled once, so one component has one
/// handler per pulled type; a second one is refused (the start fails, naming both).
fn pull_table(hooks: Vec<HookInfo>) -> Result<KeyMap<Vec<usize>>, HookError> {
    let table = table(&hooks);
    for (key, positions) in &table {
        if let [first, second, ..] = positions[..] {
            let (first, second) = (&hooks[first], &hooks[second]);
            return Err(HookError::Failed {
                owner: second.owner,
                method: second.method.clone(),
                hook_type: second.hook_type,
                source: hooks_core::BoxError::from(format!(
                    "a second `on_pull_message` handler for {key:?} (`{}::{}` is the first): a pulled message is \
                     handled once, by one handler; keep one handler per pulled type",
                    first.owner, first.method
                ))
                .into(),
            });
        }
    }
    Ok(table)
}

fn table(hooks: &[HookInfo]) -> KeyMap<Vec<usize>> {
    let mut table: KeyMap<Vec<usize>> = KeyMap::default();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    enum Kind {
        A,
        B,
    }

    #[test]
    fn a_key_map_finds_keys_made_apart() {
        let mut map: KeyMap<u8> = KeyMap::default();
        map.insert(Key::new(Kind::A), 1);
        map.insert(Key::new("A"), 2);
        map.insert(Key::new(Kind::B), 3);
        assert_eq!(map.get(&Key::new(Kind::A)), Some(&1));
        assert_eq!(map.get(&Key::new("A")), Some(&2));
        assert_eq!(map.get(&Key::new(Kind::B)), Some(&3));
        assert_eq!(map.get(&Key::new(String::from("A"))), None, "a `String` is another type");
        assert_eq!(map.len(), 3);
    }
}
