//! The message types of a message handler (`#[on_message(..)]`, `#[on_command(..)]`,
//! `#[on_request(..)]`, `#[on_pull_message(..)]`): message contracts or dynamic types, told apart
//! by the generated code (the macro cannot see which a path names), and the handler checked
//! against each contract at compile time. The runtime side is `hooks_runtime::bus::route`.
//!
//! Input:
//! ```ignore
//! #[on_command(Count, Kind::A)] fn count(&mut self, msg: &Message) -> u32 { .. }
//! #[on_command] fn total(&mut self, t: &Total) -> Result<u64, E> { .. }   // the contract is the argument's type
//! ```
//! Output, in the shim (never evaluates a param; only types are looked at):
//! ```ignore
//! let __hooks_route_0 = (&&Probe::of_fn(|| Count)).__hooks_route();    // Typed<Count>
//! let __hooks_route_1 = (&&Probe::of_fn(|| Kind::A)).__hooks_route();  // Dynamic
//! takes::<Message, _>(&__hooks_route_0);                               // at the user's `&Message`
//! .. answers(&__hooks_route_1, &ret); respond_as(&__hooks_route_0, ret, call)  // at the user's `-> u32`
//! ```
//! and in the params resolver, per value: `(&&Probe::of(&v)).__hooks_route().param(v)` (the
//! contract's key, or a key of the value), or `contract::<Total>().param(())`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::HookMethod;
use crate::attr::ParamArg;

/// The traits the routing method calls need in scope.
fn traits_in_scope(root: &TokenStream) -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use #root::ViaContract as _;
        #[allow(unused_imports)]
        use #root::ViaDynamic as _;
        #[allow(unused_imports)]
        use #root::{
            ViaConstructor1 as _, ViaConstructor2 as _, ViaConstructor3 as _, ViaConstructor4 as _,
        };
    }
}

/// The payload type a message handler takes (`&Status` → `Status`), or `None` when it takes the
/// whole `&Message` (or a type it cannot see through, passed as is for rustc to check).
pub(crate) fn payload_type(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Reference(reference) = ty else { return None };
    match &*reference.elem {
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Message") => None,
        syn::Type::Infer(_) => None,
        payload => Some(payload),
    }
}

/// Whether the handler names its contract by its argument's type: no message types listed.
fn inferred(method: &HookMethod) -> Option<&syn::Type> {
    let attr = &method.attr;
    if !attr.kind.is_message() || !attr.params.is_empty() || attr.params_fn.is_some() {
        return None;
    }
    method.sig.arg_types.first().and_then(payload_type)
}

/// The routes of a message handler, in the shim: one per message type it lists.
pub(crate) struct Routes {
    /// Binds `__hooks_route_<i>`, then checks the argument against each.
    prelude: TokenStream,
    count: usize,
    /// Where a wrong return type is reported: the user's `-> T`.
    ret_span: Span,
}

impl Routes {
    /// `None` for a hook that is not a message handler.
    pub(crate) fn of(method: &HookMethod, root: &TokenStream, ret_span: Span) -> Option<Routes> {
        let attr = &method.attr;
        if !attr.kind.is_message() {
            return None;
        }
        let mut routes = Vec::new();
        if let Some(ty) = inferred(method) {
            let at = user_located(ty.span());
            routes.push(quote_spanned!(at=> #root::contract::<#ty>()));
        }
        for param in &attr.params {
            routes.push(match param {
                ParamArg::Static(value) => quote!((&&#root::Probe::of_fn(|| #value)).__hooks_route()),
                ParamArg::Dynamic(f) => quote!((&&#root::Probe::of_items(|| (#f)(&*__hooks_this))).__hooks_route()),
            });
        }
        if let Some(f) = &attr.params_fn {
            routes.push(quote!((&&#root::Probe::of_items(|| (#f)(&*__hooks_this))).__hooks_route()));
        }
        let names: Vec<_> = (0..routes.len()).map(route_ident).collect();
        // The argument against each route, reported on the user's `msg: &T`.
        let arg = method.sig.arg_types.first().filter(|ty| matches!(ty, syn::Type::Reference(_)));
        let checks = arg.filter(|_| inferred(method).is_none()).map(|ty| {
            let at = user_located(ty.span());
            let taken = match payload_type(ty) {
                Some(payload) => quote!(#payload),
                None => quote!(#root::Message),
            };
            let takes = names.iter().map(|name| quote_spanned!(at=> #root::takes::<#taken, _>(&#name);));
            quote!(#(#takes)*)
        });
        let traits = traits_in_scope(root);
        let prelude = quote! {
            #traits
            #(let #names = #routes;)*
            #checks
        };
        Some(Routes { prelude, count: names.len(), ret_span })
    }

    /// Binds the routes and checks the argument (after `__hooks_this` is the instance).
    pub(crate) fn prelude(&self) -> &TokenStream {
        &self.prelude
    }

    /// The return value `__hooks_ret` of a command or request handler against every route but the
    /// first (which [`respond`](Self::respond) checks), reported on the user's `-> T`.
    pub(crate) fn reply_checks(&self, root: &TokenStream) -> TokenStream {
        let at = user_located(self.ret_span);
        let checks = (1..self.count).map(route_ident).map(|name| {
            quote_spanned!(at=> #root::answers(&#name, &__hooks_ret);)
        });
        quote!(#(#checks)*)
    }

    /// Records `__hooks_ret` as the response of the call `__hooks_arg`, as the first route reads it.
    pub(crate) fn respond(&self, root: &TokenStream) -> TokenStream {
        let at = user_located(self.ret_span);
        let first = route_ident(0);
        quote_spanned!(at=> #root::respond_as(&#first, __hooks_ret, __hooks_arg))
    }
}

fn route_ident(i: usize) -> syn::Ident {
    format_ident!("__hooks_route_{}", i)
}

/// The params resolver's body for a message handler (with `__hooks_this: &Self` in scope and
/// `__hooks_params` to push to), or `None` for another hook.
pub(crate) fn params(method: &HookMethod, root: &TokenStream) -> Option<TokenStream> {
    let attr = &method.attr;
    if !attr.kind.is_message() {
        return None;
    }
    let traits = traits_in_scope(root);
    let mut pushes = Vec::new();
    if let Some(ty) = inferred(method) {
        let at = user_located(ty.span());
        pushes.push(quote_spanned!(at=> __hooks_params.push(#root::contract::<#ty>().param(()));));
    }
    for param in &attr.params {
        pushes.push(match param {
            // A value that is not a contract must be a `KeyValue` (`Debug`): reported on it.
            ParamArg::Static(value) => {
                let at = user_located(value.span());
                let push = route_and_push(root, at);
                quote_spanned! {at=> {
                    let __hooks_value = #value;
                    #push
                }}
            }
            ParamArg::Dynamic(f) => each(root, f),
        });
    }
    if let Some(f) = &attr.params_fn {
        pushes.push(each(root, f));
    }
    Some(quote! {
        #traits
        let mut __hooks_params = #root::Vec::new();
        #(#pushes)*
        __hooks_params
    })
}

/// Every value `f(this)` yields. A `for` loop, not `extend(..map(..))`: a closure that returns
/// something not iterable is then one error, on the closure.
fn each(root: &TokenStream, f: &syn::Expr) -> TokenStream {
    let at = user_located(f.span());
    let values = quote_spanned!(at=> (#f)(__hooks_this));
    let push = route_and_push(root, at);
    quote! {
        for __hooks_value in #values {
            #push
        }
    }
}

/// Routes `__hooks_value` and pushes its param, located at `at` (the user's value or closure).
fn route_and_push(root: &TokenStream, at: Span) -> TokenStream {
    quote_spanned! {at=>
        let __hooks_route = (&&#root::Probe::of(&__hooks_value)).__hooks_route();
        __hooks_params.push(__hooks_route.param(__hooks_value));
    }
}

/// A span that resolves like the macro's own tokens (call site) but is reported at `location`.
fn user_located(location: Span) -> Span {
    Span::call_site().located_at(location)
}
