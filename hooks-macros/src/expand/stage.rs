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

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::kw;

/// Rewrites every `#[stage(..)]` method of `item` in place (and removes the attribute).
pub(crate) fn rewrite(cx: &Ctxt, item: &mut syn::ItemImpl, root: &TokenStream) {
    let self_ty = item.self_ty.clone();
    for impl_item in &mut item.items {
        let syn::ImplItem::Fn(method) = impl_item else { continue };
        let Some(pos) = method.attrs.iter().position(|a| a.path().is_ident(kw::STAGE)) else { continue };
        let attr = method.attrs.remove(pos);
        if let Some(extra) = method.attrs.iter().find(|a| a.path().is_ident(kw::STAGE)) {
            cx.error_spanned_by(extra, "a method can be only one stage");
            // Removed too: left in place, rustc would add a second, confusing error about it.
            method.attrs.retain(|a| !a.path().is_ident(kw::STAGE));
            continue;
        }
        let stage: syn::Path = match attr.parse_args() {
            Ok(path) => path,
            Err(_) => {
                cx.error_spanned_by(&attr, "expected the stage's type: `#[stage(Forward)]`, declared with `stage!`");
                continue;
            }
        };
        let self_name = match &*self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
            other => quote::ToTokens::to_token_stream(other).to_string(),
        };
        let stage_name = stage.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let message = format!(
            "`{self_name}` does not provide the stage `{stage_name}`: add `#[provides_hooks({stage_name})]` to \
             `{self_name}` or embed a base that provides it with `#[hooks(base)]`"
        );
        let span = attr.path().span();
        // An item, not a `const { .. }` block: items are evaluated by `cargo check` (and
        // rust-analyzer), blocks only when the method is built. An item cannot name `Self`; the
        // impl is not generic (`valid::check_impl`), so its type is named as written.
        let check = quote_spanned! {span=>
            const _: () = ::core::assert!(<#self_ty as #root::Hooks>::PROVIDED.contains(<#stage as #root::Stage>::KEY), #message);
        };
        if let Some(body) = rewrite_method(cx, method, &stage, root, check) {
            method.block = body;
        }
    }
}

fn rewrite_method(
    cx: &Ctxt,
    method: &syn::ImplItemFn,
    stage: &syn::Path,
    root: &TokenStream,
    check: TokenStream,
) -> Option<syn::Block> {
    let sig = &method.sig;
    if let Some(asyncness) = sig.asyncness {
        cx.error_spanned_by(
            asyncness,
            "`#[stage]` wraps plain methods only: its observers run synchronously around the call",
        );
        return None;
    }
    match sig.inputs.first() {
        Some(syn::FnArg::Receiver(r)) if matches!(r.kind, syn::ReceiverKind::Reference(_, _, Some(_))) => {}
        Some(syn::FnArg::Receiver(r)) => {
            cx.error_spanned_by(r, "a `#[stage]` method takes `&mut self` (its observers receive the component)");
            return None;
        }
        _ => {
            cx.error_spanned_by(
                &sig.ident,
                "a `#[stage]` method takes `&mut self` (its observers receive the component)",
            );
            return None;
        }
    }
    let mut copies = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        let syn::FnArg::Typed(arg) = input else { continue };
        let syn::Pat::Ident(pat) = &*arg.pat else {
            cx.error_spanned_by(&arg.pat, "a `#[stage]` method's parameters are plain names (observers see them)");
            return None;
        };
        let ident = &pat.ident;
        let span = arg.ty.span();
        copies.push(match &*arg.ty {
            syn::Type::Reference(_) => quote_spanned!(span=> ::std::borrow::ToOwned::to_owned(&*#ident)),
            _ => quote_spanned!(span=> ::std::borrow::ToOwned::to_owned(&#ident)),
        });
    }
    let (ret_ty, ret_span) = match &sig.output {
        syn::ReturnType::Default => (quote!(()), sig.ident.span()),
        syn::ReturnType::Type(_, ty) => (quote!(#ty), ty.span()),
    };
    let block = &method.block;
    let stage_ty = quote!(<#stage as #root::Stage>);
    let after = quote_spanned!(ret_span=> #root::stage::after::<Self, #stage, #ret_ty>(self, &__hooks_watch, __hooks_return, __hooks_args));
    let before = quote_spanned!(ret_span=> #root::stage::before::<Self, #stage, #ret_ty>(self, __hooks_args));
    let args_span = sig.paren_token.span.join();
    let args = quote_spanned!(args_span=> #root::stage::args::<#stage, _>((#(#copies,)*)));
    let body = quote! {{
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
    }};
    match syn::parse2(body) {
        Ok(block) => Some(block),
        Err(err) => {
            cx.syn_error(err);
            None
        }
    }
}
