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
//! // (for `total`: `names_contract::<Total>()`, and `(&&ArgProbe::<Total>::new()).__hooks_route()`)
//! let __hooks_route_1 = (&&Probe::of_fn(|| Kind::A)).__hooks_route();  // Dynamic
//! takes::<Message, _>(&__hooks_route_0);                               // at the user's `&Message`
//! .. answers(&__hooks_route_1, &ret); respond_as(&__hooks_route_0, ret, call)  // at the user's `-> u32`
//! ```
//! and in the params resolver, per value: `(&&v.__hooks_probe()).__hooks_route().param(v)` (the
//! contract's key, or a key of the value), or `(&&ArgProbe::<Total>::new()).__hooks_route().param(())`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::HookMethod;
use crate::attr::ParamArg;
use crate::expand::hooks::{respan, user_located};

/// The traits the routing method calls need in scope: emitted once per registration block (the
/// shims and params resolvers are items of that block), when it holds a message handler.
pub(crate) fn traits_in_scope(root: &TokenStream) -> TokenStream {
    quote! {
        #[allow(unused_imports)]
        use #root::{
            ProbeOf as _, ViaArgument as _, ViaConstructor1 as _, ViaConstructor2 as _, ViaConstructor3 as _,
            ViaConstructor4 as _, ViaContract as _, ViaDynamic as _,
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
        let mut checks = Vec::new();
        if let Some(ty) = inferred(method) {
            let at = user_located(ty.span());
            let names_contract = respan(quote!(#root::names_contract), at);
            checks.push(quote_spanned!(at=> #names_contract::<#ty>();));
            routes.push(quote!((&&#root::ArgProbe::<#ty>::new()).__hooks_route()));
        }
        for param in &attr.params {
            routes.push(match param {
                ParamArg::Static(value) => quote!((&&#root::Probe::of_fn(|| #value)).__hooks_route()),
                ParamArg::Dynamic(f) => probe_items(root, f),
            });
        }
        if let Some(f) = &attr.params_fn {
            routes.push(probe_items(root, f));
        }
        let names: Vec<_> = (0..routes.len()).map(|i| route_ident(i, Span::call_site())).collect();
        // The argument against each route, reported on the user's `msg: &T`.
        let arg = method.sig.arg_types.first().filter(|ty| matches!(ty, syn::Type::Reference(_)));
        if let Some(ty) = arg.filter(|_| inferred(method).is_none()) {
            // At the payload's type (`u32` of `&u32`), else at the `&Message`.
            let at = user_located(payload_type(ty).map_or_else(|| ty.span(), Spanned::span));
            let taken = match payload_type(ty) {
                Some(payload) => quote!(#payload),
                None => respan(quote!(#root::Message), at),
            };
            let takes = respan(quote!(#root::takes), at);
            for i in 0..names.len() {
                let name = route_ident(i, at);
                checks.push(quote_spanned!(at=> #takes::<#taken, _>(&#name);));
            }
        }
        let prelude = quote! {
            #(let #names = #routes;)*
            #(#checks)*
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
        let answers = respan(quote!(#root::answers), at);
        let checks = (1..self.count)
            .map(|i| route_ident(i, at))
            .map(|name| quote_spanned!(at=> #answers(&#name, &__hooks_ret);));
        quote!(#(#checks)*)
    }

    /// Records `__hooks_ret` as the response of the call `__hooks_arg`, as the first route reads it.
    pub(crate) fn respond(&self, root: &TokenStream) -> TokenStream {
        let at = user_located(self.ret_span);
        let first = route_ident(0, at);
        let respond_as = respan(quote!(#root::respond_as), at);
        quote_spanned!(at=> #respond_as(&#first, __hooks_ret, __hooks_arg))
    }
}

/// The route of the values a closure (or `params = Self::method`) yields, in the shim. The closure
/// is never called; it is walked by the same `for` loop as in the params resolver (see [`each`]),
/// so that a closure that yields no iterable, or takes `&mut Self`, is one error, not two.
fn probe_items(root: &TokenStream, f: &syn::Expr) -> TokenStream {
    let route =
        quote!(__hooks_route = ::core::option::Option::Some((&&__hooks_value.__hooks_probe()).__hooks_route()););
    let each = each(f, &route);
    quote! {
        #root::route_of(|| {
            let __hooks_this: &Self = &*__hooks_this;
            let mut __hooks_route = ::core::option::Option::None;
            #each
            __hooks_route
        })
    }
}

/// `__hooks_route_<i>`, located at `at` (a check's tokens are all at the user's, so that rustc
/// reports it there and nowhere else).
fn route_ident(i: usize, at: Span) -> syn::Ident {
    format_ident!("__hooks_route_{}", i, span = at)
}

/// The params resolver's body for a message handler (with `__hooks_this: &Self` in scope and
/// `__hooks_params` to push to), or `None` for another hook.
pub(crate) fn params(method: &HookMethod, root: &TokenStream) -> Option<TokenStream> {
    let attr = &method.attr;
    if !attr.kind.is_message() {
        return None;
    }
    let mut pushes = Vec::new();
    if let Some(ty) = inferred(method) {
        pushes.push(quote!(__hooks_params.push((&&#root::ArgProbe::<#ty>::new()).__hooks_route().param(()));));
    }
    for param in &attr.params {
        pushes.push(match param {
            // A value that is not a contract must be a `KeyValue` (`Debug`): reported on it.
            // One `let` per value (each shadows the last): a value is evaluated once.
            ParamArg::Static(value) => {
                let at = user_located(value.span());
                let push = route_and_push(at);
                quote_spanned! {at=>
                    let __hooks_value = #value;
                    #push
                }
            }
            ParamArg::Dynamic(f) => each(f, &route_and_push(user_located(f.span()))),
        });
    }
    if let Some(f) = &attr.params_fn {
        pushes.push(each(f, &route_and_push(user_located(f.span()))));
    }
    Some(quote! {
        let mut __hooks_params = #root::Vec::new();
        #(#pushes)*
        __hooks_params
    })
}

/// Every value `f(this)` yields. A `for` loop, not `extend(..map(..))`: a closure that returns
/// something not iterable is then one error, on the closure.
fn each(f: &syn::Expr, body: &TokenStream) -> TokenStream {
    let at = user_located(f.span());
    let values = quote_spanned!(at=> (#f)(__hooks_this));
    quote! {
        for __hooks_value in #values {
            #body
        }
    }
}

/// Routes `__hooks_value` and pushes its param, located at `at` (the user's value or closure).
fn route_and_push(at: Span) -> TokenStream {
    quote_spanned! {at=>
        __hooks_params.push((&&__hooks_value.__hooks_probe()).__hooks_route().param(__hooks_value));
    }
}
