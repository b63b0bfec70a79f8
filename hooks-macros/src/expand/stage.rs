//! `#[stage(Forward)] fn forward(&mut self, input: &Input) -> Result<Output, E> { body }` inside a
//! `#[hooks]` impl: the method becomes a hook point. Its body runs in a closure between the
//! stage's BEFORE and AFTER/ERROR observers:
//!
//! ```text
//! let watch = stage::watch::<Self, Forward>(self);          // which events are observed
//! let args = watch.any().then(|| (ToOwned::to_owned(&*input),));
//! if BEFORE observed { if let Some(vetoed) = stage::before(self, &args) { return vetoed } }
//! let ret = (|| -> Result<Output, E> { body })();
//! match args { Some(args) => stage::after(self, &watch, ret, args), None => ret }
//! ```
//!
//! The argument tuple is typed `<Forward as Stage>::Args` and `ret` goes through `after`, so a
//! method that does not match its stage's declaration is a type error on the parameter or the
//! return type.
//!
//! Every decision is in the model (`ast::StageMethod`, checked by `valid::check_stages`); this
//! only writes the new bodies, once the impl has no errors.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::ast::{HooksImpl, StageMethod};
use crate::sig::StageParam;

/// Replaces the body of every `#[stage]` method of `item` (the attributes are already removed).
pub(crate) fn rewrite(item: &mut syn::ItemImpl, model: &HooksImpl, root: &TokenStream) {
    for stage in &model.stages {
        let Some(syn::ImplItem::Fn(method)) = item.items.get_mut(stage.index) else { continue };
        let body = body(model, stage, &method.block, root);
        // Kept as tokens, not parsed again: nothing after this reads the body. The braces are
        // the macro's, as the statements in them.
        method.block = syn::Block {
            brace_token: syn::token::Brace::default(),
            stmts: vec![syn::Stmt::Expr(syn::Expr::Verbatim(body), None)],
        };
    }
}

/// The statements of the new body; `block` is the body as written.
fn body(model: &HooksImpl, method: &StageMethod, block: &syn::Block, root: &TokenStream) -> TokenStream {
    let (self_ty, self_name) = (&model.self_ty, &model.self_name);
    let (stage, sig) = (&method.attr.path, &method.sig);
    let stage_name = stage.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
    let message = format!(
        "`{self_name}` does not provide the stage `{stage_name}`: add `#[provides_hooks({stage_name})]` to \
         `{self_name}` or embed a base that provides it with `#[hooks(base)]`"
    );
    // An item, not a `const { .. }` block: items are evaluated by `cargo check` (and
    // rust-analyzer), blocks only when the method is built. An item cannot name `Self`; the
    // impl is not generic (`valid::check_impl`), so its type is named as written.
    let check = quote_spanned! {method.attr.span=>
        const _: () = ::core::assert!(<#self_ty as #root::Hooks>::PROVIDED.contains(<#stage as #root::Stage>::KEY), #message);
    };
    let copies = sig.params.iter().filter_map(|param| match param {
        StageParam::Named { ident, by_ref: true, span } => {
            Some(quote_spanned!(*span=> ::std::borrow::ToOwned::to_owned(&*#ident)))
        }
        StageParam::Named { ident, by_ref: false, span } => {
            Some(quote_spanned!(*span=> ::std::borrow::ToOwned::to_owned(&#ident)))
        }
        StageParam::Pattern(_) => None,
    });
    let ret_ty = match &sig.output {
        None => quote!(()),
        Some(ty) => quote!(#ty),
    };
    let ret_span = sig.output_span;
    let stage_ty = quote!(<#stage as #root::Stage>);
    let after = quote_spanned!(ret_span=> #root::stage::after::<Self, #stage, #ret_ty>(self, &__hooks_watch, __hooks_return, __hooks_args));
    let before = quote_spanned!(ret_span=> #root::stage::before::<Self, #stage, #ret_ty>(self, __hooks_args));
    let args = quote_spanned!(sig.inputs_span=> #root::stage::args::<#stage, _>((#(#copies,)*)));
    quote! {
        #check
        let __hooks_watch = #root::stage::watch::<Self, #stage>(self);
        let __hooks_args: ::core::option::Option<#stage_ty::Args> = if __hooks_watch.any() {
            ::core::option::Option::Some(#args)
        } else {
            ::core::option::Option::None
        };
        if __hooks_watch.before {
            if let ::core::option::Option::Some(__hooks_args) = &__hooks_args {
                if let ::core::option::Option::Some(__hooks_vetoed) = #before {
                    return __hooks_vetoed;
                }
            }
        }
        #[allow(clippy::redundant_closure_call)]
        let __hooks_return = (|| -> #ret_ty #block)();
        match __hooks_args {
            ::core::option::Option::Some(__hooks_args) => #after,
            ::core::option::Option::None => __hooks_return,
        }
    }
}
