//! A hook method's or a `#[stage]` method's signature: receiver, `async`, arguments, return type.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ReturnType, Signature};

use crate::ctxt::Ctxt;
use crate::descriptor::Descriptor;

/// What the expansion needs to know of a method's signature.
pub(crate) struct HookSig {
    pub(crate) is_async: bool,
    /// The span of each argument after the receiver.
    pub(crate) args: Vec<Span>,
    /// The type of each argument after the receiver.
    pub(crate) arg_types: Vec<syn::Type>,
    /// A last argument `ctx: &Context` or `ctx: &mut Context` (not counted in `args`): the
    /// component's runtime context, passed by the shim.
    pub(crate) context: Option<Context>,
    /// Where a wrong return type is reported: the `-> T`, or the name when there is none.
    pub(crate) output_span: Span,
}

/// The `ctx: &Context` / `ctx: &mut Context` argument of a hook.
pub(crate) struct Context {
    pub(crate) mutable: bool,
    pub(crate) span: Span,
}

/// `&Context` or `&mut Context` (any path ending in `Context`, without generics).
fn context_arg(ty: &syn::Type) -> Option<Context> {
    let syn::Type::Reference(r) = ty else { return None };
    let syn::Type::Path(p) = &*r.elem else { return None };
    let last = p.path.segments.last()?;
    (p.qself.is_none() && last.ident == "Context" && last.arguments.is_none())
        .then(|| Context { mutable: r.mutability.is_some(), span: ty.span() })
}

impl HookSig {
    /// Reads `sig`, recording a receiver that is not `&self`/`&mut self`, generics, `unsafe`,
    /// variadics.
    pub(crate) fn from_syn(cx: &Ctxt, attribute: &Descriptor, sig: &Signature) -> HookSig {
        let attr_name = attribute.name;
        match sig.inputs.first() {
            Some(FnArg::Receiver(r)) if matches!(r.kind, syn::ReceiverKind::Reference(..)) => {}
            Some(FnArg::Receiver(r)) => cx.error_spanned_by(
                r,
                format!("`#[{attr_name}]` methods take `&self` or `&mut self`; `self` by value or typed `self` cannot be a hook"),
            ),
            _ => cx.error_spanned_by(
                &sig.ident,
                format!("`#[{attr_name}]` needs a method: add `&mut self` (or `&self`) as the first argument"),
            ),
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            cx.error_spanned_by(&sig.generics, format!("`#[{attr_name}]` methods cannot be generic"));
        }
        if let syn::Safety::Unsafe(unsafety) = &sig.safety {
            cx.error_spanned_by(unsafety, format!("`#[{attr_name}]` methods cannot be `unsafe`"));
        }
        if let Some(variadic) = &sig.variadic {
            cx.error_spanned_by(variadic, format!("`#[{attr_name}]` methods cannot be variadic"));
        }
        let mut args: Vec<Span> =
            sig.inputs.iter().filter(|a| matches!(a, FnArg::Typed(_))).map(Spanned::span).collect();
        let output_span = match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.ident.span(),
        };
        let mut arg_types: Vec<syn::Type> = sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                FnArg::Typed(t) => Some((*t.ty).clone()),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let context = arg_types.last().and_then(context_arg);
        if context.is_some() {
            args.pop();
            arg_types.pop();
        }
        // A hook's argument is lent by the run (`&H::Arg`); `on_state_change` spreads its `Copy`
        // states instead. Said here, on the type, rather than rustc's "consider cloning".
        // Only for a hook's one argument: a wrong number of arguments is its own error.
        let takes_one = attribute.arity.contains(&1);
        if let ([ty], true) = (&arg_types[..], takes_one) {
            if !matches!(ty, syn::Type::Reference(_)) {
                let shown = quote::ToTokens::to_token_stream(ty).to_string();
                cx.error_spanned_by(
                    ty,
                    format!("`#[{attr_name}]` hooks borrow their argument: take `&{shown}` instead of `{shown}`"),
                );
            }
        }
        HookSig { is_async: sig.asyncness.is_some(), args, arg_types, context, output_span }
    }
}

/// A `#[stage]` method's signature, as the rewrite needs it; `valid::check_stages` says what
/// is refused (`async`, a receiver other than `&mut self`, a parameter that is a pattern).
pub(crate) struct StageSig {
    pub(crate) asyncness: Option<syn::Token![async]>,
    pub(crate) receiver: StageReceiver,
    /// Each parameter after the receiver.
    pub(crate) params: Vec<StageParam>,
    /// `-> T`; `None` for `()`.
    pub(crate) output: Option<syn::Type>,
    /// Where a return type that does not match the stage is reported: the `-> T`, or the name.
    pub(crate) output_span: Span,
    /// The parentheses of the parameter list, where parameters that do not match are reported.
    pub(crate) inputs_span: Span,
}

/// The first parameter of a `#[stage]` method.
pub(crate) enum StageReceiver {
    /// `&mut self`: the observers receive the component.
    RefMut,
    /// `&self`, `self`, `self: Box<Self>`.
    Other(syn::Receiver),
    /// An associated function.
    Missing,
}

/// A parameter of a `#[stage]` method: the observers get an owned copy of it.
pub(crate) enum StageParam {
    /// `name: T` (`by_ref`: `T` is a reference, copied with `ToOwned::to_owned(&*name)`); `span`
    /// is the type's, where a copy that does not fit is reported.
    Named { ident: Ident, by_ref: bool, span: Span },
    /// `(a, b): T`: observers could not be handed it.
    Pattern(Box<syn::Pat>),
}

impl StageSig {
    pub(crate) fn from_syn(sig: &Signature) -> StageSig {
        let receiver = match sig.inputs.first() {
            Some(FnArg::Receiver(r)) if matches!(r.kind, syn::ReceiverKind::Reference(_, _, Some(_))) => {
                StageReceiver::RefMut
            }
            Some(FnArg::Receiver(r)) => StageReceiver::Other(r.clone()),
            _ => StageReceiver::Missing,
        };
        let params = sig
            .inputs
            .iter()
            .skip(1)
            .filter_map(|input| match input {
                FnArg::Typed(arg) => Some(arg),
                FnArg::Receiver(_) => None,
            })
            .map(|arg| match &*arg.pat {
                syn::Pat::Ident(pat) => StageParam::Named {
                    ident: pat.ident.clone(),
                    by_ref: matches!(*arg.ty, syn::Type::Reference(_)),
                    span: arg.ty.span(),
                },
                _ => StageParam::Pattern(arg.pat.clone()),
            })
            .collect();
        let (output, output_span) = match &sig.output {
            ReturnType::Default => (None, sig.ident.span()),
            ReturnType::Type(_, ty) => (Some((**ty).clone()), ty.span()),
        };
        StageSig {
            asyncness: sig.asyncness,
            receiver,
            params,
            output,
            output_span,
            inputs_span: sig.paren_token.span.join(),
        }
    }
}
