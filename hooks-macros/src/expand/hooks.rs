//! `#[hooks] impl T { .. }` → the impl as written, a hidden impl of shims, and one registration per
//! hook method (a message handler's routes and checks: `expand/message.rs`). Every decision is
//! already in the model.
//!
//! Input:
//! ```ignore
//! #[hooks] impl Worker { #[on_message(Kind::A)] async fn track(&mut self, msg: &Message) { .. } }
//! ```
//! Output:
//! ```ignore
//! impl Worker { async fn track(&mut self, msg: &Message) { .. } }
//! #[doc(hidden)] impl Worker {
//!     fn __hooks_on_message_track<'h>(this: &'h mut dyn Any, arg: &'h dyn Any) -> Step<'h> { .. }
//!     fn __hooks_params_track(this: &dyn Any) -> Vec<ParamValue> { .. }
//! }
//! const _: () = { assert!(<Worker as Hooks>::PROVIDED.contains(OnMessage::KEY), ".."); submit! { Registration { .. } } };
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::ast::{HookMethod, HooksImpl};
use crate::attr::{HookKind, Interval, ParamArg};
use crate::expand::message::{self, payload_type};

pub(crate) fn expand(item: &syn::ItemImpl, model: &HooksImpl, root: &TokenStream) -> TokenStream {
    let self_ty = &model.self_ty;
    let shims = model.methods.iter().map(|m| shim(model, m, root));
    let registrations = model.methods.iter().map(|m| registration(model, m, root));
    quote! {
        #item

        #[doc(hidden)]
        #[allow(non_snake_case, clippy::needless_lifetimes, clippy::unused_async)]
        impl #self_ty {
            #(#shims)*
        }

        #(#registrations)*
    }
}

fn shim_ident(method: &HookMethod) -> syn::Ident {
    format_ident!("__hooks_{}_{}", method.attr.kind.attr_name(), method.ident)
}

fn params_ident(method: &HookMethod) -> syn::Ident {
    format_ident!("__hooks_params_{}", method.ident)
}

/// The call shim, and the params resolver when the attribute has params.
fn shim(model: &HooksImpl, method: &HookMethod, root: &TokenStream) -> TokenStream {
    let HookMethod { ident, attr, sig, cfgs, .. } = method;
    let name = &model.self_name;
    let shim = shim_ident(method);
    let hook_ty = attr.hook_type(root);
    // Each argument is passed with its parameter's location, so that a parameter of the wrong
    // type is reported on the user's `reason: &T`, not on `#[hooks]`.
    let args = match (&attr.kind, sig.args.as_slice()) {
        (_, []) => quote!(),
        (HookKind::StateChange, [old, new]) => {
            let old = quote_spanned!(user_located(*old)=> __hooks_arg.old);
            let new = quote_spanned!(user_located(*new)=> __hooks_arg.new);
            quote!(#old, #new)
        }
        (kind, [arg, ..]) if kind.is_message() => quote_spanned!(user_located(*arg)=> __hooks_input),
        (_, [arg, ..]) => quote_spanned!(user_located(*arg)=> __hooks_arg),
    };
    let downcast_arg = if sig.args.is_empty() {
        quote!()
    } else {
        quote! {
            let ::core::option::Option::Some(__hooks_arg) =
                <dyn ::core::any::Any>::downcast_ref::<<#hook_ty as #root::HookType>::Arg>(__hooks_arg)
            else {
                return #root::Step::mismatch(#name, "argument");
            };
        }
    };
    // Message handlers take the whole message (`msg: &Message`) or just its payload
    // (`status: &Status`): a payload of another type is the hook's error, not a panic.
    let input = match sig.arg_types.first() {
        Some(ty) if attr.kind.is_message() => {
            let message = if attr.kind.is_call() { quote!(&__hooks_arg.message) } else { quote!(__hooks_arg) };
            match payload_type(ty) {
                None => {
                    let at = user_located(syn::spanned::Spanned::span(ty));
                    let message = respan(message, at);
                    quote_spanned!(at=> let __hooks_input = #message;)
                }
                Some(payload) => {
                    let at = user_located(syn::spanned::Spanned::span(payload));
                    quote_spanned! {at=>
                        let __hooks_input = match #root::Message::payload_or_err::<#payload>(#message) {
                            ::core::result::Result::Ok(__hooks_payload) => __hooks_payload,
                            ::core::result::Result::Err(__hooks_error) => {
                                return #root::Step::Done(::core::result::Result::Err(__hooks_error));
                            }
                        };
                    }
                }
            }
        }
        _ => quote!(),
    };
    // `ctx: &Context` as the last argument: the context of the runtime running the hook.
    let (context, args) = match &sig.context {
        None => (quote!(), args),
        Some(ctx) => {
            let at = user_located(ctx.span);
            let method = ident.to_string();
            let pass =
                if ctx.mutable { quote_spanned!(at=> &mut __hooks_ctx) } else { quote_spanned!(at=> &__hooks_ctx) };
            let args = if args.is_empty() { pass } else { quote!(#args, #pass) };
            let fetch = quote! {
                #[allow(unused_mut)]
                let mut __hooks_ctx = match #root::Context::current() {
                    ::core::option::Option::Some(__hooks_ctx) => __hooks_ctx,
                    ::core::option::Option::None => return #root::Step::Done(#root::no_context(#name, #method)),
                };
            };
            (fetch, args)
        }
    };
    // Message handlers: each message type's route (contract or dynamic), the argument checked
    // against each (expand/message.rs).
    let routes = message::Routes::of(method, root, sig.output_span);
    let route_prelude = routes.as_ref().map(message::Routes::prelude);
    let call = quote!(__hooks_this.#ident(#args));
    // The conversion carries the location of the user's `-> T`: an unsatisfied `IntoHookResult`
    // bound is then reported on `-> i32`, not on `#[hooks]`.
    let ret_span = user_located(sig.output_span);
    let ret = quote_spanned!(ret_span=> __hooks_ret);
    // A command or request handler's value is the response, read as its message types' routes
    // read it (expand/message.rs); other hooks give `()` or an error.
    let (reply_checks, convert) = match &routes {
        Some(routes) if attr.kind.is_call() => (routes.reply_checks(root), routes.respond(root)),
        _ => {
            let into_hook_result = respan(quote!(#root::IntoHookResult::into_hook_result), ret_span);
            (quote!(), quote!(#into_hook_result(#ret)))
        }
    };
    let body = if sig.is_async {
        // The future is located at the method's name: a future that is not `Send` is reported
        // there (with rustc's note on the `.await` at fault), not on `#[hooks]`.
        let at = user_located(ident.span());
        let pin = respan(quote!(#root::Box::pin), at);
        let future = quote_spanned! {at=>
            #pin(async move {
                let __hooks_ret = #call.await;
                #reply_checks
                #convert
            })
        };
        quote!(#root::Step::Pending(#future))
    } else {
        quote! {{
            let __hooks_ret = #call;
            #reply_checks
            #root::Step::Done(#convert)
        }}
    };
    let params = params_resolver(method, root).map(|body| {
        let params = params_ident(method);
        // Static params need no instance: `describe()` resolves them without one.
        let this = if method.attr.has_dynamic_params() {
            quote! {
                let ::core::option::Option::Some(__hooks_this) = <dyn ::core::any::Any>::downcast_ref::<Self>(__hooks_this)
                else {
                    return #root::Vec::new();
                };
            }
        } else {
            quote!(let _ = __hooks_this;)
        };
        quote! {
            #(#cfgs)*
            fn #params(__hooks_this: &dyn ::core::any::Any) -> #root::Vec<#root::ParamValue> {
                #this
                #body
            }
        }
    });
    quote! {
        #(#cfgs)*
        fn #shim<'__hooks>(
            __hooks_this: &'__hooks mut dyn ::core::any::Any,
            __hooks_arg: &'__hooks dyn ::core::any::Any,
        ) -> #root::Step<'__hooks> {
            let ::core::option::Option::Some(__hooks_this) = <dyn ::core::any::Any>::downcast_mut::<Self>(__hooks_this)
            else {
                return #root::Step::mismatch(#name, "receiver");
            };
            #downcast_arg
            #input
            #route_prelude
            #context
            #body
        }
        #params
    }
}

/// A span that resolves like the macro's own tokens (call site) but is reported at `location`.
pub(crate) fn user_located(location: Span) -> Span {
    Span::call_site().located_at(location)
}

/// `tokens` with every top-level token at `span` (for paths built from the crate root).
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// The body of the params resolver (with `__hooks_this: &Self` in scope), or `None` without params.
fn params_resolver(method: &HookMethod, root: &TokenStream) -> Option<TokenStream> {
    let attr = &method.attr;
    if let HookKind::BackgroundTask = attr.kind {
        let interval = match &attr.interval {
            None => quote!(::core::option::Option::None),
            Some(Interval::Fixed(nanos)) => quote!(::core::option::Option::Some(#root::Duration::from_nanos(#nanos))),
            Some(Interval::Dynamic(f)) => {
                let at = user_located(syn::spanned::Spanned::span(f));
                let into_interval = respan(quote!(#root::IntoInterval::into_interval), at);
                quote_spanned!(at=> #into_interval((#f)(__hooks_this)))
            }
        };
        let immediate = attr.immediate.unwrap_or(true);
        let stop_on_error = attr.stop_on_error.unwrap_or(false);
        return Some(quote! {
            #root::vec![#root::ParamValue::new(#root::TaskSpec {
                interval: #interval,
                immediate: #immediate,
                stop_on_error: #stop_on_error,
            })]
        });
    }
    // Message types route messages: contracts by their type, other values by a key (`Eq + Hash`).
    if let Some(params) = message::params(method, root) {
        return Some(params);
    }
    if attr.params.is_empty() && attr.params_fn.is_none() {
        return None;
    }
    let pushes = attr.params.iter().map(|p| match p {
        ParamArg::Static(value) => {
            let new = respan(quote!(#root::ParamValue::new), user_located(syn::spanned::Spanned::span(value)));
            quote!(__hooks_params.push(#new(#value));)
        }
        ParamArg::Dynamic(f) => push_each(root, f),
    });
    let from_fn = attr.params_fn.as_ref().map(|f| push_each(root, f));
    Some(quote! {
        let mut __hooks_params = #root::Vec::new();
        #(#pushes)*
        #from_fn
        __hooks_params
    })
}

/// Pushes every value `f(this)` yields. A `for` loop, not `extend(..map(..))`: a closure that
/// returns something not iterable is then one error, on the closure.
fn push_each(root: &TokenStream, f: &syn::Expr) -> TokenStream {
    let at = user_located(syn::spanned::Spanned::span(f));
    let new = respan(quote!(#root::ParamValue::new), at);
    let values = quote_spanned!(at=> (#f)(__hooks_this));
    quote! {
        for __hooks_value in #values {
            __hooks_params.push(#new(__hooks_value));
        }
    }
}

/// The compile-time "provided" check and the `inventory` registration.
fn registration(model: &HooksImpl, method: &HookMethod, root: &TokenStream) -> TokenStream {
    let HookMethod { ident, attr, sig, cfgs, attr_span, .. } = method;
    let self_ty = &model.self_ty;
    let owner = &model.self_name;
    let hook_ty = attr.hook_type(root);
    let hook_name = attr.hook_type_name();
    let method_name = ident.to_string();
    let shim = shim_ident(method);
    let base = match attr.kind.runtime_base() {
        Some((base, field)) => format!(" (the runtime base `{base}` provides it: `#[hooks(base)] {field}`)"),
        None => String::new(),
    };
    let message = format!(
        "`{owner}` does not provide the hook type `{hook_name}` used by `#[{}]` on `{method_name}`; \
         add `#[provides_hooks({hook_name})]` to `{owner}` or embed a base that provides it with `#[hooks(base)]`{base}",
        attr.kind.attr_name()
    );
    let check = quote_spanned! {*attr_span=>
        const _: () = ::core::assert!(
            <#self_ty as #root::Hooks>::PROVIDED.contains(<#hook_ty as #root::HookType>::KEY),
            #message
        );
    };
    let priority = match &attr.priority {
        Some(p) => quote!(#p),
        None => quote!(0),
    };
    let timeout = match attr.timeout {
        Some((nanos, _)) => quote!(::core::option::Option::Some(#root::Duration::from_nanos(#nanos))),
        None => quote!(::core::option::Option::None),
    };
    let params = if params_resolver(method, root).is_some() {
        let p = params_ident(method);
        quote!(::core::option::Option::Some(<#self_ty>::#p))
    } else {
        quote!(::core::option::Option::None)
    };
    let is_async = sig.is_async;
    let index = method.index;
    let dynamic_params = attr.has_dynamic_params();
    let location = quote_spanned! {ident.span()=>
        #root::Location { file: ::core::file!(), line: ::core::line!(), column: ::core::column!() }
    };
    quote! {
        #(#cfgs)*
        const _: () = {
            #check
            #root::inventory::submit! {
                #root::Registration {
                    owner: #root::TypeId::of::<#self_ty>,
                    owner_name: #owner,
                    hook_type: #root::TypeId::of::<#hook_ty>,
                    hook_name: <#hook_ty as #root::HookType>::NAME,
                    method: #method_name,
                    location: #location,
                    index: #index,
                    priority: #priority,
                    timeout: #timeout,
                    is_async: #is_async,
                    dynamic_params: #dynamic_params,
                    params: #params,
                    call: <#self_ty>::#shim,
                }
            }
        };
    }
}
