//! The runtime's base components, embedded with `#[hooks(base)]`. Each provides hook types to the
//! component that embeds it and keeps that component's run-time hooks.

use crate::prelude::*;

/// The lifecycle base: provides `OnInit`, `OnStart`, `OnStop`, `OnStateChange` and `BackgroundTask`.
///
/// ```
/// use hooks_runtime::prelude::*;
///
/// #[derive(Hooks, Default)]
/// struct Cache {
///     #[hooks(base)]
///     service: Service,
/// }
/// assert!(Cache::provides::<OnStart>());
/// assert!(!Cache::provides::<OnMessage>());
/// ```
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnInit, OnStart, OnStop, OnStateChange, BackgroundTask)]
pub struct Service {
    attached: AttachedHooks,
}

/// The publish/subscribe base: provides `OnMessage`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnMessage)]
pub struct MessageBusClient {
    attached: AttachedHooks,
}

/// The command base: provides `OnCommand`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnCommand)]
pub struct CommandHandler {
    attached: AttachedHooks,
}

/// The requesting side of request/reply: provides `OnRequest`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnRequest)]
pub struct RequestClient {
    attached: AttachedHooks,
}

/// The replying side of request/reply: provides `OnRequest`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnRequest)]
pub struct ReplyClient {
    attached: AttachedHooks,
}

/// The work-queue base: provides `OnPullMessage`.
#[derive(Hooks, Debug, Default)]
#[provides_hooks(OnPullMessage)]
pub struct PullClient {
    attached: AttachedHooks,
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[derive(Hooks, Default)]
    struct Inside {
        #[hooks(base)]
        service: Service,
        #[hooks(base)]
        bus: MessageBusClient,
    }

    #[hooks]
    impl Inside {
        #[on_init]
        fn init(&mut self) {}
        #[on_message("topic")]
        fn on_topic(&mut self, _msg: &Message) {}
    }

    #[test]
    fn this_crates_registrations_are_collected() {
        let here = crate::registrations().filter(|r| r.location.file == file!()).count();
        assert_eq!(here, 2);
        assert_eq!(Inside::default().hook_infos().len(), 2);
    }

    #[test]
    fn every_base_provides_its_hook_types() {
        assert!(Service::provides::<OnInit>() && Service::provides::<BackgroundTask>());
        assert!(MessageBusClient::provides::<OnMessage>());
        assert!(CommandHandler::provides::<OnCommand>());
        assert!(RequestClient::provides::<OnRequest>() && ReplyClient::provides::<OnRequest>());
        assert!(PullClient::provides::<OnPullMessage>());
        assert!(Inside::provides::<OnMessage>() && Inside::provides::<OnStop>());
        assert!(!Inside::provides::<OnPullMessage>());
    }

    #[tokio::test]
    async fn attached_hooks_are_kept_by_the_first_base_that_has_room() {
        let mut c = Inside::default();
        c.attach_hook::<OnMessage>("late", |_: &mut Inside, _: &Message| {}, ["other"]).unwrap();
        assert_eq!(c.service.attached.len(), 1);
        assert!(c.bus.attached.is_empty());
        c.run_hooks_with::<OnMessage>(&Message::new("topic", ())).await.unwrap();
    }
}
