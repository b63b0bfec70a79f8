//! Checks that need the whole model: the impl's shape and each handler's arity for its hook type.

use crate::ast::HooksImpl;
use crate::attr::HookKind;
use crate::ctxt::Ctxt;

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
        let name = attr.kind.attr_name();
        let n = method.sig.args.len();
        let (ok, expected) = match attr.kind {
            HookKind::Init | HookKind::Start | HookKind::BackgroundTask => {
                (n == 0, "take no arguments besides `&self` or `&mut self`")
            }
            HookKind::Stop => (n <= 1, "take `&mut self` and optionally `reason: &StopReason`"),
            HookKind::StateChange => {
                (n == 0 || n == 2, "take `&mut self` and optionally `old: LifecycleState, new: LifecycleState`")
            }
            HookKind::Message | HookKind::Command | HookKind::Request | HookKind::PullMessage => {
                (n == 1, "take `&mut self` and the message, e.g. `msg: &Message`")
            }
            HookKind::Custom(_) => (n <= 1, "take `&mut self` and optionally the hook type's argument by reference"),
        };
        if !ok {
            // The first argument too many, else (too few) the last one given, else the name.
            let span = method
                .sig
                .args
                .get(expected_max(&attr.kind))
                .or(method.sig.args.last())
                .copied()
                .unwrap_or(method.ident.span());
            cx.syn_error(syn::Error::new(span, format!("`#[{name}]` methods {expected}")));
        }
        // A message handler routes by the types it lists, or by the contract its argument names
        // (`fn count(&mut self, c: &Count)`); a whole `&Message` names none.
        let names_a_type = method.sig.arg_types.first().and_then(crate::expand::message::payload_type).is_some();
        if attr.kind.is_message() && attr.params.is_empty() && attr.params_fn.is_none() && !names_a_type {
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

/// The index of the first argument too many (where the arity error is spanned).
fn expected_max(kind: &HookKind) -> usize {
    match kind {
        HookKind::Init | HookKind::Start | HookKind::BackgroundTask => 0,
        HookKind::Stop
        | HookKind::Custom(_)
        | HookKind::Message
        | HookKind::Command
        | HookKind::Request
        | HookKind::PullMessage => 1,
        HookKind::StateChange => 2,
    }
}
