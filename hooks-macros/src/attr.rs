//! The arguments of each attribute → typed structs: a method attribute's → [`HookAttr`],
//! `#[stage(..)]`'s → [`StageAttr`], `#[callback(..)]`'s → [`CallbackArgs`]. Unknown and duplicate
//! keys are reported here, from one setter ([`Slot::set`]), spanned on the key.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, Lit, Token};

use crate::ctxt::Ctxt;
use crate::descriptor::{Descriptor, ATTRIBUTES};
use crate::duration;
use crate::kw;

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
    /// The kinds, in the order of [`ATTRIBUTES`].
    const ALL: [HookKind; 10] = [
        HookKind::Init,
        HookKind::Start,
        HookKind::Stop,
        HookKind::StateChange,
        HookKind::Message,
        HookKind::Command,
        HookKind::Request,
        HookKind::PullMessage,
        HookKind::BackgroundTask,
        HookKind::Custom(None),
    ];

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        let at = ATTRIBUTES.iter().position(|d| d.name == name)?;
        Self::ALL.into_iter().nth(at)
    }

    /// Everything about this kind's attribute.
    pub(crate) fn descriptor(&self) -> &'static Descriptor {
        let at = match self {
            HookKind::Init => 0,
            HookKind::Start => 1,
            HookKind::Stop => 2,
            HookKind::StateChange => 3,
            HookKind::Message => 4,
            HookKind::Command => 5,
            HookKind::Request => 6,
            HookKind::PullMessage => 7,
            HookKind::BackgroundTask => 8,
            HookKind::Custom(_) => 9,
        };
        &ATTRIBUTES[at]
    }

    /// The attribute's name, for messages.
    pub(crate) fn attr_name(&self) -> &'static str {
        self.descriptor().name
    }

    /// The marker type's name under `__private` for built-in kinds.
    pub(crate) fn marker_name(&self) -> Option<&'static str> {
        self.descriptor().marker
    }

    /// The runtime base that provides the kind's hook type, and a field to embed it, for the
    /// "does not provide" message.
    pub(crate) fn runtime_base(&self) -> Option<(&'static str, &'static str)> {
        self.descriptor().base
    }

    /// Message-like kinds: they route by their params, so they need at least one.
    pub(crate) fn is_message(&self) -> bool {
        self.descriptor().routes
    }

    /// Command-like kinds: the handler's value is the response.
    pub(crate) fn is_call(&self) -> bool {
        self.descriptor().answers
    }

    fn takes_params(&self) -> bool {
        self.descriptor().params
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

    fn set(&mut self, key: impl ToTokens, value: T) {
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
        let keys: Vec<&str> = kind.descriptor().all_keys().collect();
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

/// `#[stage(Forward)]` on a method of a `#[hooks]` impl.
pub(crate) struct StageAttr {
    /// The stage's type, as written.
    pub(crate) path: syn::Path,
    /// The attribute's name, where a stage the component does not provide is reported.
    pub(crate) span: Span,
}

impl StageAttr {
    /// Parses `#[stage(Path)]`; anything else (`#[stage]`, `#[stage = ..]`, `#[stage(1)]`) is
    /// reported on the whole attribute.
    pub(crate) fn from_attr(cx: &Ctxt, attr: &syn::Attribute) -> Option<StageAttr> {
        match attr.parse_args::<syn::Path>() {
            Ok(path) => Some(StageAttr { path, span: syn::spanned::Spanned::span(attr.path()) }),
            Err(_) => {
                cx.error_spanned_by(attr, "expected the stage's type: `#[stage(Forward)]`, declared with `stage!`");
                None
            }
        }
    }
}

/// The arguments of `#[callback(name = "..", crate = "..")]`.
pub(crate) struct CallbackArgs {
    /// `name = ".."`; `None` when missing (reported) or when the list did not parse.
    pub(crate) name: Option<syn::LitStr>,
    /// `crate = ".."`: the path to `hooks_runtime` if it is renamed.
    pub(crate) krate: Option<syn::Path>,
    /// The whole list parsed: a missing `name` is then a mistake of its own, not a consequence.
    pub(crate) complete: bool,
}

impl CallbackArgs {
    /// Parses the list, recording every mistake: an unknown key is reported and skipped, so
    /// that the keys after it are still read; a syntax error ends the list.
    pub(crate) fn from_tokens(cx: &Ctxt, args: TokenStream) -> CallbackArgs {
        let mut name = Slot::new(cx, kw::NAME);
        let mut krate = Slot::new(cx, kw::CRATE);
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident(kw::NAME) {
                // name = "early_stopping"
                let lit: syn::LitStr = meta.value()?.parse()?;
                if lit.value().trim().is_empty() {
                    cx.syn_error(syn::Error::new(lit.span(), "a callback's name cannot be empty"));
                }
                name.set(&meta.path, lit);
            } else if meta.path.is_ident(kw::CRATE) {
                // crate = "hooks_runtime"
                let lit: syn::LitStr = meta.value()?.parse()?;
                krate.set(&meta.path, lit.parse::<syn::Path>()?);
            } else {
                cx.syn_error(
                    meta.error("unknown `#[callback]` argument; expected `name = \"..\"` or `crate = \"..\"`"),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        let complete = match syn::parse::Parser::parse2(parser, args) {
            Ok(()) => true,
            Err(err) => {
                cx.syn_error(err);
                false
            }
        };
        CallbackArgs { name: name.value, krate: krate.value, complete }
    }
}

/// Skips an unknown key's value (`= expr` or `(..)`), so that the list goes on after it.
fn skip_value(meta: &syn::meta::ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
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
