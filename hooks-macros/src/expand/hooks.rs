//! `#[hooks] impl T { .. }` → the impl as written, then one block holding a hidden impl of shims
//! and params resolvers, and one registration group per impl block (one `inventory` entry,
//! holding a registration per hook method). A message handler's routes and checks:
//! `expand/message.rs`. Every decision is already in the model.
//!
//! Input:
//! ```ignore
//! #[hooks] impl Worker { #[on_message(Kind::A)] async fn track(&mut self, msg: &Message) { .. } }
//! ```
//! Output:
//! ```ignore
//! impl Worker { async fn track(&mut self, msg: &Message) { .. } }
//! const _: () = {
//!     use ::hooks_runtime::__private as __h;
//!     const __O: __h::Owner = __h::Owner::of::<Worker>("Worker", file!());
//!     const _: () = assert!(<Worker as __h::Hooks>::PROVIDED.contains(<__h::OnMessage as __h::HookType>::KEY), "..");
//!     #[doc(hidden)] impl Worker {
//!         fn __hooks_c_track<'h>(this: &'h mut dyn __h::Any, arg: &'h dyn __h::Any) -> __h::Step<'h> { .. }
//!         fn __hooks_p_track(this: &dyn Any) -> __h::Params { .. }
//!     }
//!     __h::inventory::submit! { __h::Registrations(&[__h::Registration::new::<__h::OnMessage>(&__O, "track", (line, column, 0), ..)]) }
//! };
//! ```
//!
//! What one hook attribute costs a user's build is counted by `size.rs` (at most 30 lines).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::ast::{HookMethod, HooksImpl};
use crate::attr::{HookKind, Interval, ParamArg};
use crate::expand::message::{self, payload_type};

pub(crate) fn expand(mut item: syn::ItemImpl, model: &HooksImpl, root: &TokenStream) -> TokenStream {
    // The `#[stage]` methods' bodies, before the impl is emitted.
    super::stage::rewrite(&mut item, model, root);
    let self_ty = &model.self_ty;
    let owner = &model.self_name;
    // Inside the registration block, the crate root is `__h` (a `use`): shorter code to compile.
    let short = quote!(__h);
    let params = model.methods.iter().filter_map(|m| params_fn(m, &short));
    let shims = model.methods.iter().map(|m| shim(model, m, &short));
    let checks = model.methods.iter().map(|m| provided_check(model, m, &short));
    // One group for the methods without `#[cfg]`, one per gated method (an array element cannot
    // carry a `#[cfg]`).
    let (plain, gated): (Vec<&HookMethod>, Vec<&HookMethod>) = model.methods.iter().partition(|m| m.cfgs.is_empty());
    let group = (!plain.is_empty()).then(|| {
        let entries = plain.iter().map(|m| registration(m, &short));
        quote!(__h::inventory::submit! { __h::Registrations(&[#(#entries),*]) })
    });
    let gated = gated.iter().map(|m| {
        let (cfgs, entry) = (&m.cfgs, registration(m, &short));
        quote!(#(#cfgs)* __h::inventory::submit! { __h::Registrations(&[#entry]) })
    });
    let routing = model.methods.iter().any(|m| m.attr.kind.is_message()).then(|| message::traits_in_scope(&short));
    let registrations = (!model.methods.is_empty()).then(|| {
        quote! {
            #[allow(non_snake_case, clippy::needless_lifetimes, clippy::unused_async)]
            const _: () = {
                use #root as __h;
                type __S = #self_ty;
                const __O: __h::Owner = __h::Owner::of::<__S>(#owner, ::core::file!());
                #routing
                #(#checks)*
                // Methods (their params and routes may name `Self`), in this block for `__h`.
                #[doc(hidden)]
                impl #self_ty {
                    #(#shims)*
                    #(#params)*
                }
                #group
                #(#gated)*
            };
        }
    });
    quote! {
        #item
        #registrations
    }
}

fn shim_ident(method: &HookMethod) -> syn::Ident {
    // `c`all and `p`arams: methods of the type, in its namespace, so prefixed.
    format_ident!("__hooks_c_{}", method.ident)
}

fn params_ident(method: &HookMethod) -> syn::Ident {
    format_ident!("__hooks_p_{}", method.ident)
}

/// The call shim: a method of the hidden impl in the registration block, `root` being the short
/// crate path.
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
    // The receiver, and the argument when the method takes one, downcast by one generic call.
    let receive = if sig.args.is_empty() {
        quote! {
            let #root::Some(__hooks_this) = #root::shim_this::<Self>(__hooks_this) else { return #root::Step::mismatch(#name, "receiver") };
        }
    } else {
        quote! {
            let #root::Some((__hooks_this, __hooks_arg)) =
                #root::shim_args::<Self, <#hook_ty as #root::HookType>::Arg>(__hooks_this, __hooks_arg)
            else {
                return #root::Step::mismatch(#name, "receiver or argument");
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
                        let #root::Some(__hooks_input) = #root::Message::payload::<#payload>(#message) else {
                            return #root::Step::Done(#root::Err(#root::Message::not_a::<#payload>(#message)));
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
            let binding = if ctx.mutable { quote!(mut __hooks_ctx) } else { quote!(__hooks_ctx) };
            let fetch = quote! {
                let #root::Some(#binding) = #root::Context::current() else {
                    return #root::Step::Done(#root::no_context(#name, #method));
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
        quote! {
            let __hooks_ret = #call;
            #reply_checks
            #root::Step::Done(#convert)
        }
    };
    quote! {
        #(#cfgs)*
        fn #shim<'h>(__hooks_this: &'h mut dyn #root::Any, __hooks_arg: &'h dyn #root::Any) -> #root::Step<'h> {
            #receive
            #input
            #route_prelude
            #context
            #body
        }
    }
}

/// The params resolver of a hook method (a method of the type: its closures may name `Self`),
/// when the attribute has params.
fn params_fn(method: &HookMethod, root: &TokenStream) -> Option<TokenStream> {
    let body = params_resolver(method, root)?;
    let (params, cfgs) = (params_ident(method), &method.cfgs);
    // Static params need no instance: `describe()` resolves them without one.
    let this = if method.attr.has_dynamic_params() {
        quote! {
            let #root::Some(__hooks_this) = <dyn ::core::any::Any>::downcast_ref::<Self>(__hooks_this) else {
                return #root::Vec::new();
            };
        }
    } else {
        // Unused then; its leading underscore keeps rustc quiet.
        quote!()
    };
    Some(quote! {
        #(#cfgs)*
        fn #params(__hooks_this: &dyn ::core::any::Any) -> #root::Params {
            #this
            #body
        }
    })
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
        let immediate = attr.immediate.unwrap_or(crate::descriptor::IMMEDIATE);
        let stop_on_error = attr.stop_on_error.unwrap_or(crate::descriptor::STOP_ON_ERROR);
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
    let static_value = |value: &syn::Expr| {
        let new = respan(quote!(#root::ParamValue::new), user_located(syn::spanned::Spanned::span(value)));
        quote!(#new(#value))
    };
    if attr.params_fn.is_none() && attr.params.iter().all(|p| matches!(p, ParamArg::Static(_))) {
        let values = attr.params.iter().filter_map(|p| match p {
            ParamArg::Static(value) => Some(static_value(value)),
            ParamArg::Dynamic(_) => None,
        });
        return Some(quote!(#root::vec![#(#values),*]));
    }
    let pushes = attr.params.iter().map(|p| match p {
        ParamArg::Static(value) => {
            let value = static_value(value);
            quote!(__hooks_params.push(#value);)
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

/// The compile-time "provided" check of one hook method, spanned on its attribute.
fn provided_check(model: &HooksImpl, method: &HookMethod, root: &TokenStream) -> TokenStream {
    let HookMethod { ident, attr, cfgs, attr_span, .. } = method;
    let (self_ty, owner) = (&model.self_ty, &model.self_name);
    let hook_ty = attr.hook_type(root);
    let hook_name = attr.hook_type_name();
    let base = match attr.kind.runtime_base() {
        Some((base, field)) => format!(" (the runtime base `{base}` provides it: `#[hooks(base)] {field}`)"),
        None => String::new(),
    };
    let message = format!(
        "`{owner}` does not provide the hook type `{hook_name}` used by `#[{}]` on `{ident}`; \
         add `#[provides_hooks({hook_name})]` to `{owner}` or embed a base that provides it with `#[hooks(base)]`{base}",
        attr.kind.attr_name()
    );
    quote_spanned! {*attr_span=>
        #(#cfgs)*
        const _: () = ::core::assert!(
            <#self_ty as #root::Hooks>::PROVIDED.contains(<#hook_ty as #root::HookType>::KEY),
            #message
        );
    }
}

/// One hook method's registration: what differs from the defaults of `Registration::new` only.
fn registration(method: &HookMethod, root: &TokenStream) -> TokenStream {
    let HookMethod { ident, attr, sig, .. } = method;
    let hook_ty = attr.hook_type(root);
    let (method_name, shim) = (ident.to_string(), shim_ident(method));
    let index = proc_macro2::Literal::u32_unsuffixed(method.index);
    let position = quote_spanned!(ident.span()=> (#root::line!(), #root::column!(), #index));
    // Through a typed constant: a priority that is not an `i32` is one error on the user's value.
    let priority = attr.priority.as_ref().map(|p| quote!(.priority({ const P: i32 = #p; P })));
    let timeout = attr.timeout.map(|(nanos, _)| quote!(.timeout(#nanos)));
    let is_async = sig.is_async;
    let params = params_resolver(method, root).is_some().then(|| {
        let (p, dynamic) = (params_ident(method), attr.has_dynamic_params());
        quote!(.params(__S::#p, #dynamic))
    });
    quote! {
        #root::reg::<#hook_ty>(&__O, #method_name, #position, __S::#shim, #is_async)
            #priority #timeout #params
    }
}
