//! Every method attribute, described once: its name, its hook type's marker, the runtime base
//! that provides it, the keys it accepts, the arguments its method takes, and the defaults of its
//! options. `attr.rs` (parsing), `valid.rs` (arity), `expand/hooks.rs` (shims, the "provided"
//! message) read this table; nothing else names an attribute.

/// One method attribute.
pub(crate) struct Descriptor {
    /// `on_init`.
    pub(crate) name: &'static str,
    /// The hook type's marker under the crate root (`OnInit`); `None` for `#[hook(Type)]`.
    pub(crate) marker: Option<&'static str>,
    /// The runtime base that provides the hook type, and a field that embeds it.
    pub(crate) base: Option<(&'static str, &'static str)>,
    /// Routes messages by its params (so it needs at least one).
    pub(crate) routes: bool,
    /// The handler's value is the response sent back.
    pub(crate) answers: bool,
    /// Takes positional params (message types, or a custom type's values).
    pub(crate) params: bool,
    /// The `key = value` options, besides `priority` and `timeout` (which every one takes).
    pub(crate) keys: &'static [&'static str],
    /// The numbers of arguments (besides the receiver and a last `ctx: &Context`) it accepts.
    pub(crate) arity: &'static [usize],
    /// What its methods take, for the arity error: "`#[on_stop]` methods {takes}".
    pub(crate) takes: &'static str,
}

/// The keys every attribute takes.
pub(crate) const COMMON_KEYS: [&str; 2] = ["priority", "timeout"];

/// `#[background_task]`'s defaults: first run at start, and an error does not end the task.
pub(crate) const IMMEDIATE: bool = true;
pub(crate) const STOP_ON_ERROR: bool = false;

const SERVICE: Option<(&str, &str)> = Some(("Service", "service: Service"));

/// The attributes, in `HookKind`'s order.
pub(crate) const ATTRIBUTES: [Descriptor; 10] = [
    lifecycle("on_init", "OnInit", &[0], "take no arguments besides `&self` or `&mut self`"),
    lifecycle("on_start", "OnStart", &[0], "take no arguments besides `&self` or `&mut self`"),
    lifecycle("on_stop", "OnStop", &[0, 1], "take `&mut self` and optionally `reason: &StopReason`"),
    lifecycle(
        "on_state_change",
        "OnStateChange",
        &[0, 2],
        "take `&mut self` and optionally `old: LifecycleState, new: LifecycleState`",
    ),
    message("on_message", "OnMessage", ("MessageBusClient", "bus: MessageBusClient"), false),
    message("on_command", "OnCommand", ("CommandHandler", "commands: CommandHandler"), true),
    message("on_request", "OnRequest", ("RequestClient", "requests: RequestClient"), true),
    message("on_pull_message", "OnPullMessage", ("PullClient", "pulls: PullClient"), false),
    Descriptor {
        name: "background_task",
        marker: Some("BackgroundTask"),
        base: SERVICE,
        routes: false,
        answers: false,
        params: false,
        keys: &["interval", "immediate", "stop_on_error"],
        arity: &[0],
        takes: "take no arguments besides `&self` or `&mut self`",
    },
    Descriptor {
        name: "hook",
        marker: None,
        base: None,
        routes: false,
        answers: false,
        params: true,
        keys: &["params"],
        arity: &[0, 1],
        takes: "take `&mut self` and optionally the hook type's argument by reference",
    },
];

const fn lifecycle(
    name: &'static str,
    marker: &'static str,
    arity: &'static [usize],
    takes: &'static str,
) -> Descriptor {
    Descriptor {
        name,
        marker: Some(marker),
        base: SERVICE,
        routes: false,
        answers: false,
        params: false,
        keys: &[],
        arity,
        takes,
    }
}

const fn message(
    name: &'static str,
    marker: &'static str,
    base: (&'static str, &'static str),
    answers: bool,
) -> Descriptor {
    Descriptor {
        name,
        marker: Some(marker),
        base: Some(base),
        routes: true,
        answers,
        params: true,
        keys: &["params"],
        arity: &[1],
        takes: "take `&mut self` and the message, e.g. `msg: &Message`",
    }
}

impl Descriptor {
    /// Whether `n` arguments fit.
    pub(crate) fn accepts(&self, n: usize) -> bool {
        self.arity.contains(&n)
    }

    /// The index of the first argument too many (where an arity error is spanned).
    pub(crate) fn most(&self) -> usize {
        self.arity.iter().copied().max().unwrap_or(0)
    }

    /// Every key it accepts.
    pub(crate) fn all_keys(&self) -> impl Iterator<Item = &'static str> {
        self.keys.iter().copied().chain(COMMON_KEYS)
    }
}
