//! What is emitted when there are errors: the user's item survives, so one mistake stays one error.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[hooks]`: the impl with every hook and `#[stage]` attribute removed (the `#[stage]` bodies
/// not rewritten), plus the errors.
pub(crate) fn hooks(item: &syn::ItemImpl, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

/// `#[callback]`: the impl as written, plus the errors.
pub(crate) fn callback(item: &syn::ItemImpl, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#item #error)
}

/// `#[callback]` on something other than an impl block: the item unchanged, plus an error that
/// says where it goes.
pub(crate) fn not_a_callback_impl(item: TokenStream) -> TokenStream {
    // An attribute macro's call site is the attribute itself.
    let message = "`#[callback(name = \"..\")]` goes on an `impl CallbackTrait for Type` block";
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).into_compile_error();
    quote!(#item #error)
}

/// `#[derive(Hooks)]`: the errors plus a minimal impl (no hooks, no bases), so that code using the
/// type as a component does not produce a second wave of errors.
pub(crate) fn derive(input: &syn::DeriveInput, root: &TokenStream, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    if !input.generics.params.is_empty() {
        return error;
    }
    let ident = &input.ident;
    let name = ident.to_string();
    quote! {
        #error
        const _: () = {
            #[automatically_derived]
            impl #root::Hooks for #ident {
                const NAME: &'static str = #name;
                const PROVIDED: #root::Provided = #root::Provided { own: &[], bases: &[] };
                // Says it keeps run-time hooks, so that no second error comes from attaching.
                type Storage = #root::storage::Kept;
                fn __hooks_table() -> &'static #root::Table {
                    static TABLE: #root::OnceLock<#root::Table> = #root::OnceLock::new();
                    #root::Table::cached(&TABLE, #root::Table::build::<Self>)
                }
                fn __hooks_bases(_: &mut #root::Walker<'_, Self>) {}
                fn __hooks_attached(&self) -> ::core::option::Option<&#root::AttachedHooks> {
                    ::core::option::Option::None
                }
                fn __hooks_attached_mut(&mut self) -> ::core::option::Option<&mut #root::AttachedHooks> {
                    ::core::option::Option::None
                }
            }
        };
    }
}

/// `#[hooks]` on something other than an impl block: the item unchanged, plus an error that says
/// where `#[hooks]` goes (and, on a struct, that the derive is what was meant).
pub(crate) fn not_an_impl(item: TokenStream) -> TokenStream {
    let message = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(_)) => "`#[hooks]` goes on an impl block; on a struct, use `#[derive(Hooks)]`",
        _ => "`#[hooks]` goes on an impl block: `#[hooks] impl Type { .. }`",
    };
    // An attribute macro's call site is the attribute itself.
    let error = syn::Error::new(proc_macro2::Span::call_site(), message).into_compile_error();
    quote!(#item #error)
}

/// A method attribute outside a `#[hooks]` impl: the item unchanged, plus an error that says so.
pub(crate) fn misplaced(name: &str, item: TokenStream) -> TokenStream {
    // An attribute macro's call site is the attribute itself.
    let span = proc_macro2::Span::call_site();
    let message =
        format!("`#[{name}]` has no effect outside an impl block marked `#[hooks]`; add `#[hooks]` to the impl");
    let error = syn::Error::new(span, message).into_compile_error();
    quote!(#item #error)
}

/// `#[derive(Message)]`: the errors plus what the options that were understood expand to (the
/// contract's impl with its default for each option in error), so that handlers and call sites of
/// the contract do not produce a second wave of errors.
pub(crate) fn contract(expanded: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#error #expanded)
}
