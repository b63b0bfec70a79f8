//! Checks that need the whole model: the impl's shape and each handler's arity for its hook type.

use crate::ast::HooksImpl;
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
