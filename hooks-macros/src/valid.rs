//! Checks that need the whole model: the impl's shape, each handler's arity for its hook type,
//! what a `#[stage]` method may be, and the shape of a `#[callback]` impl.

use crate::ast::HooksImpl;
use crate::ctxt::Ctxt;
use crate::sig::{StageParam, StageReceiver};

/// The impl block itself: no trait impls, no generics (registrations are static, one per type).
/// An `unsafe impl Type` is left to rustc (E0197), which says why better than this crate could.
pub(crate) fn check_impl(cx: &Ctxt, item: &syn::ItemImpl) {
    if let Some((path, _)) = &item.trait_ {
        cx.error_spanned_by(
            path,
            "`#[hooks]` cannot be used on a trait impl; put the hook methods in an inherent `impl Type { .. }`",
        );
    }
    if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
        cx.error_spanned_by(
            &item.generics,
            "`#[hooks]` cannot be used on a generic impl: hook registrations are static, one per concrete type",
        );
    }
}

/// Each method: its arguments fit its hook type; `timeout` needs an `async fn`.
pub(crate) fn check_methods(cx: &Ctxt, model: &HooksImpl) {
    for method in &model.methods {
        let attr = &method.attr;
        let attribute = attr.kind.descriptor();
        let n = method.sig.args.len();
        if !attribute.accepts(n) {
            // The first argument too many, else (too few) the last one given, else the name.
            let span = method
                .sig
                .args
                .get(attribute.most())
                .or(method.sig.args.last())
                .copied()
                .unwrap_or(method.ident.span());
            cx.syn_error(syn::Error::new(span, format!("`#[{}]` methods {}", attribute.name, attribute.takes)));
        }
        // A message handler routes by the types it lists, or by the contract its argument names
        // (`fn count(&mut self, c: &Count)`); a whole `&Message` names none.
        let names_a_type = method.sig.arg_types.first().and_then(crate::expand::message::payload_type).is_some();
        if attr.kind.is_message() && attr.params.is_empty() && attr.params_fn.is_none() && !names_a_type {
            let name = attribute.name;
            cx.syn_error(syn::Error::new(
                method.attr_span,
                format!(
                    "`#[{name}]` needs a message type: take a message contract as the argument \
                     (`fn handle(&mut self, msg: &Status)`, with `#[derive(Message)] struct Status`), or list the \
                     message types, e.g. `#[{name}(MessageType::Status)]`, a closure `|this: &Self| ..`, or \
                     `params = Self::method`"
                ),
            ));
        }
        if let Some((_, span)) = attr.timeout {
            if !method.sig.is_async {
                cx.syn_error(syn::Error::new(
                    span,
                    format!("`timeout` needs an `async fn`: a plain `fn` cannot be cancelled; make `{}` async or remove the timeout", method.ident),
                ));
            }
        }
    }
}

/// Each `#[stage]` method: a plain method (its observers run synchronously around the call) on
/// `&mut self` (they receive the component), whose parameters are names (they get a copy of each).
pub(crate) fn check_stages(cx: &Ctxt, model: &HooksImpl) {
    for method in &model.stages {
        let sig = &method.sig;
        if let Some(asyncness) = sig.asyncness {
            cx.error_spanned_by(
                asyncness,
                "`#[stage]` wraps plain methods only: its observers run synchronously around the call",
            );
        }
        let receiver = "a `#[stage]` method takes `&mut self` (its observers receive the component)";
        match &sig.receiver {
            StageReceiver::RefMut => {}
            StageReceiver::Other(r) => cx.error_spanned_by(r, receiver),
            StageReceiver::Missing => cx.error_spanned_by(&method.ident, receiver),
        }
        for param in &sig.params {
            if let StageParam::Pattern(pat) = param {
                cx.error_spanned_by(pat, "a `#[stage]` method's parameters are plain names (observers see them)");
            }
        }
    }
}

/// A `#[callback]` impl is not generic: a registration names one concrete type.
pub(crate) fn check_callback(cx: &Ctxt, item: &syn::ItemImpl) {
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(
            &item.generics,
            "a registered callback cannot be generic: register each instantiation's own impl",
        );
    }
}
