//! The arguments of each method attribute → [`HookAttr`]. Unknown and duplicate keys are reported
//! here, from one setter ([`Slot::set`]), spanned on the key.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, Token};

use crate::ctxt::Ctxt;
use crate::duration;

/// Which attribute a method carries.
pub(crate) enum HookKind {
    Init,
    Start,
    Stop,
    StateChange,
    Message,
    Command,
    Request,
    PullMessage,
    BackgroundTask,
    /// `#[hook(Path, ..)]`; the path is filled in from the first argument.
    Custom(Option<syn::Path>),
}

impl HookKind {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "on_init" => HookKind::Init,
            "on_start" => HookKind::Start,
            "on_stop" => HookKind::Stop,
            "on_state_change" => HookKind::StateChange,
            "on_message" => HookKind::Message,
            "on_command" => HookKind::Command,
            "on_request" => HookKind::Request,
            "on_pull_message" => HookKind::PullMessage,
            "background_task" => HookKind::BackgroundTask,
            "hook" => HookKind::Custom(None),
            _ => return None,
        })
    }

    /// The attribute's name, for messages.
    pub(crate) fn attr_name(&self) -> &'static str {
        match self {
            HookKind::Init => "on_init",
            HookKind::Start => "on_start",
            HookKind::Stop => "on_stop",
            HookKind::StateChange => "on_state_change",
            HookKind::Message => "on_message",
            HookKind::Command => "on_command",
            HookKind::Request => "on_request",
            HookKind::PullMessage => "on_pull_message",
            HookKind::BackgroundTask => "background_task",
            HookKind::Custom(_) => "hook",
        }
    }

    /// The marker type's name under `__private` for built-in kinds.
    pub(crate) fn marker_name(&self) -> Option<&'static str> {
        Some(match self {
            HookKind::Init => "OnInit",
            HookKind::Start => "OnStart",
            HookKind::Stop => "OnStop",
            HookKind::StateChange => "OnStateChange",
            HookKind::Message => "OnMessage",
            HookKind::Command => "OnCommand",
            HookKind::Request => "OnRequest",
            HookKind::PullMessage => "OnPullMessage",
            HookKind::BackgroundTask => "BackgroundTask",
            HookKind::Custom(_) => return None,
        })
    }

    /// The runtime base that provides the kind's hook type, and a field to embed it, for the
    /// "does not provide" message.
    pub(crate) fn runtime_base(&self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            HookKind::Init | HookKind::Start | HookKind::Stop | HookKind::StateChange | HookKind::BackgroundTask => {
                ("Service", "service: Service")
            }
            HookKind::Message => ("MessageBusClient", "bus: MessageBusClient"),
            HookKind::Command => ("CommandHandler", "commands: CommandHandler"),
            HookKind::Request => ("RequestClient", "requests: RequestClient"),
            HookKind::PullMessage => ("PullClient", "pulls: PullClient"),
            HookKind::Custom(_) => return None,
        })
    }

    /// Message-like kinds: they route by their params, so they need at least one.
    pub(crate) fn is_message(&self) -> bool {
        matches!(self, HookKind::Message | HookKind::Command | HookKind::Request | HookKind::PullMessage)
    }

    /// Command-like kinds: the handler's value is the response.
    pub(crate) fn is_call(&self) -> bool {
        matches!(self, HookKind::Command | HookKind::Request)
    }

    fn takes_params(&self) -> bool {
        self.is_message() || matches!(self, HookKind::Custom(_))
    }

    fn keys(&self) -> &'static [&'static str] {
        match self {
            HookKind::BackgroundTask => &["interval", "immediate", "stop_on_error", "priority", "timeout"],
            k if k.takes_params() => &["params", "priority", "timeout"],
            _ => &["priority", "timeout"],
        }
    }
}

/// One positional parameter.
pub(crate) enum ParamArg {
    /// A value, the same for every instance: `MessageType::Status`.
    Static(Expr),
    /// A closure over the instance returning an iterable of values: `|this: &Self| vec![..]`.
    Dynamic(Expr),
}

/// `interval = ..` of a background task.
pub(crate) enum Interval {
    /// `"5s"` or `5`: nanoseconds.
    Fixed(u64),
    /// A closure `|this: &Self| -> Duration` or a path `Self::method`.
    Dynamic(Expr),
}

/// The parsed arguments of one hook attribute.
pub(crate) struct HookAttr {
    pub(crate) kind: HookKind,
    pub(crate) params: Vec<ParamArg>,
    pub(crate) params_fn: Option<Expr>,
    pub(crate) priority: Option<Expr>,
    /// Nanoseconds, and the span of the value.
    pub(crate) timeout: Option<(u64, Span)>,
    pub(crate) interval: Option<Interval>,
    pub(crate) immediate: Option<bool>,
    pub(crate) stop_on_error: Option<bool>,
}

/// `#[hook(..)]`'s arguments: a leading hook type written as a type path (`After<Forward>`) is
/// read as a path, then the rest as usual.
fn parse_custom(input: ParseStream) -> syn::Result<Vec<RawArg>> {
    let mut args = Vec::new();
    if input.fork().parse::<syn::TypePath>().is_ok() && !(input.peek(Ident) && input.peek2(Token![=])) {
        let ty: syn::TypePath = input.parse()?;
        if ty.qself.is_none() {
            args.push(RawArg::Positional(Expr::Path(syn::ExprPath { attrs: Vec::new(), qself: None, path: ty.path })));
            if input.is_empty() {
                return Ok(args);
            }
            input.parse::<Token![,]>()?;
        }
    }
    let rest = Punctuated::<RawArg, Token![,]>::parse_terminated(input)?;
    args.extend(rest);
    Ok(args)
}

/// One argument as written, before it is checked against the attribute's keys.
enum RawArg {
    // key = value
    Key(Ident, Expr),
    // value
    Positional(Expr),
}

impl Parse for RawArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if (input.peek(Ident) || input.peek(Token![crate])) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let key = input.call(syn::ext::IdentExt::parse_any)?;
            input.parse::<Token![=]>()?;
            return Ok(RawArg::Key(key, input.parse()?));
        }
        Ok(RawArg::Positional(input.parse()?))
    }
}

/// A key that may be set once: the second setting is reported on its key.
struct Slot<'c, T> {
    cx: &'c Ctxt,
    name: &'static str,
    value: Option<T>,
}

impl<'c, T> Slot<'c, T> {
    fn new(cx: &'c Ctxt, name: &'static str) -> Self {
        Slot { cx, name, value: None }
    }

    fn set(&mut self, key: &Ident, value: T) {
        if self.value.is_some() {
            self.cx.error_spanned_by(key, format!("duplicate key `{}`", self.name));
        } else {
            self.value = Some(value);
        }
    }
}

impl HookAttr {
    /// Parses `#[kind]` or `#[kind(args..)]`, recording every mistake in `cx`.
    pub(crate) fn from_attr(cx: &Ctxt, mut kind: HookKind, attr: &syn::Attribute) -> Option<HookAttr> {
        let name = kind.attr_name();
        let args: Vec<RawArg> = match &attr.meta {
            syn::Meta::Path(_) => Vec::new(),
            // #[hook(After<Forward>, ..)]: a hook type with generic arguments is a type path, not an
            // expression; it is read as one and put back as `After::<Forward>`.
            syn::Meta::List(list) if matches!(kind, HookKind::Custom(_)) => match list.parse_args_with(parse_custom) {
                Ok(args) => args,
                Err(err) => {
                    cx.syn_error(err);
                    return None;
                }
            },
            syn::Meta::List(list) => match list.parse_args_with(Punctuated::<RawArg, Token![,]>::parse_terminated) {
                Ok(args) => args.into_iter().collect(),
                Err(err) => {
                    cx.syn_error(err);
                    return None;
                }
            },
            syn::Meta::NameValue(nv) => {
                cx.error_spanned_by(nv, format!("expected `#[{name}]` or `#[{name}(..)]`"));
                return None;
            }
        };

        let mut params = Vec::new();
        let mut params_fn = Slot::new(cx, "params");
        let mut priority = Slot::new(cx, "priority");
        let mut timeout = Slot::new(cx, "timeout");
        let mut interval = Slot::new(cx, "interval");
        let mut immediate = Slot::new(cx, "immediate");
        let mut stop_on_error = Slot::new(cx, "stop_on_error");
        let keys = kind.keys();
        let mut args = args.into_iter().peekable();

        // #[hook(HookType, ..)]: the hook type comes first.
        if let HookKind::Custom(path) = &mut kind {
            match args.peek() {
                Some(RawArg::Positional(Expr::Path(p))) if p.qself.is_none() => {
                    *path = Some(p.path.clone());
                    args.next();
                }
                _ => {
                    cx.error_spanned_by(
                        attr,
                        "`#[hook]` needs the hook type first, e.g. `#[hook(OnWorkerUpdate)]`; declare custom hook types with `hook_type!`",
                    );
                    return None;
                }
            }
        }

        for arg in args {
            match arg {
                RawArg::Positional(expr) => {
                    if !kind.takes_params() {
                        cx.error_spanned_by(
                            &expr,
                            format!("`#[{name}]` takes no positional arguments; accepted keys: {}", keys.join(", ")),
                        );
                    } else if let Expr::Closure(_) = expr {
                        params.push(ParamArg::Dynamic(expr));
                    } else {
                        params.push(ParamArg::Static(expr));
                    }
                }
                RawArg::Key(key, value) => {
                    let k = key.to_string();
                    if !keys.contains(&k.as_str()) {
                        cx.error_spanned_by(
                            &key,
                            format!("unknown key `{k}` in `#[{name}]`; expected one of: {}", keys.join(", ")),
                        );
                        continue;
                    }
                    match k.as_str() {
                        // params = Self::method  |  params = |this: &Self| ..
                        "params" => params_fn.set(&key, value),
                        // priority = -5
                        "priority" => priority.set(&key, value),
                        // timeout = "2s"  |  timeout = 2
                        "timeout" => {
                            if let Some(nanos) = fixed_duration(cx, "timeout", &value) {
                                timeout.set(&key, (nanos, value_span(&value)));
                            }
                        }
                        // interval = "5s"  |  interval = 5  |  interval = |this: &Self| ..  |  interval = Self::method
                        "interval" => match &value {
                            Expr::Closure(_) | Expr::Path(_) => interval.set(&key, Interval::Dynamic(value)),
                            _ => {
                                if let Some(nanos) = fixed_duration(cx, "interval", &value) {
                                    interval.set(&key, Interval::Fixed(nanos));
                                }
                            }
                        },
                        // immediate = false
                        "immediate" => {
                            if let Some(b) = bool_value(cx, "immediate", &value) {
                                immediate.set(&key, b);
                            }
                        }
                        // stop_on_error = true
                        "stop_on_error" => {
                            if let Some(b) = bool_value(cx, "stop_on_error", &value) {
                                stop_on_error.set(&key, b);
                            }
                        }
                        _ => unreachable_key(cx, &key),
                    }
                }
            }
        }

        Some(HookAttr {
            kind,
            params,
            params_fn: params_fn.value,
            priority: priority.value,
            timeout: timeout.value,
            interval: interval.value,
            immediate: immediate.value,
            stop_on_error: stop_on_error.value,
        })
    }

    /// The hook type, as a path from the generated code's root (`P`) for built-in kinds.
    pub(crate) fn hook_type(&self, root: &TokenStream) -> TokenStream {
        match (&self.kind, self.kind.marker_name()) {
            (HookKind::Custom(Some(path)), _) => path.to_token_stream(),
            (_, Some(marker)) => {
                let marker = Ident::new(marker, Span::call_site());
                quote!(#root::#marker)
            }
            (HookKind::Custom(None), None) => quote!(()),
            (_, None) => quote!(()),
        }
    }

    /// Whether any param is computed from the instance (a closure, `params = ..`, a dynamic interval).
    pub(crate) fn has_dynamic_params(&self) -> bool {
        self.params_fn.is_some()
            || self.params.iter().any(|p| matches!(p, ParamArg::Dynamic(_)))
            || matches!(self.interval, Some(Interval::Dynamic(_)))
    }

    /// The hook type's name as written, for messages.
    pub(crate) fn hook_type_name(&self) -> String {
        match (&self.kind, self.kind.marker_name()) {
            (HookKind::Custom(Some(path)), _) => path.to_token_stream().to_string().replace(' ', ""),
            (_, Some(marker)) => marker.to_owned(),
            _ => String::new(),
        }
    }
}

fn unreachable_key(cx: &Ctxt, key: &Ident) {
    cx.error_spanned_by(key, format!("unknown key `{key}`"));
}

fn value_span(value: &Expr) -> Span {
    syn::spanned::Spanned::span(value)
}

/// `"5s"` or a number of seconds → nanoseconds.
fn fixed_duration(cx: &Ctxt, key: &str, value: &Expr) -> Option<u64> {
    let parsed = match value {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => duration::parse_duration_str(&s.value()),
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => duration::seconds_to_nanos(i.base10_digits()),
        Expr::Lit(syn::ExprLit { lit: Lit::Float(f), .. }) => duration::seconds_to_nanos(f.base10_digits()),
        _ => Err(format!(
            "`{key}` takes a duration such as \"250ms\", \"5s\", \"1m\" or a number of seconds{}",
            if key == "interval" { ", or a closure `|this: &Self| ..`" } else { "" }
        )),
    };
    match parsed {
        Ok(nanos) => Some(nanos),
        Err(message) => {
            cx.error_spanned_by(value, message);
            None
        }
    }
}

fn bool_value(cx: &Ctxt, key: &str, value: &Expr) -> Option<bool> {
    match value {
        Expr::Lit(syn::ExprLit { lit: Lit::Bool(b), .. }) => Some(b.value),
        _ => {
            cx.error_spanned_by(value, format!("`{key}` takes `true` or `false`"));
            None
        }
    }
}
