//! `#[derive(Hooks)] struct T { #[hooks(base)] b: B, .. }` → `impl Hooks for T`: its name, the hook
//! types it provides (a `const`, so `#[hooks]` can check methods at compile time), its cached
//! table, the walk over its bases and where run-time hooks are kept.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Component;

pub(crate) fn expand(input: &Component, root: &TokenStream) -> TokenStream {
    let ident = input.ident;
    let name = ident.to_string();
    let provides = &input.provides;
    let base_tys: Vec<_> = input.bases.iter().map(|b| b.ty).collect();
    let base_members: Vec<_> = input.bases.iter().map(|b| &b.member).collect();
    let (attached, attached_mut) = attached(input, root);
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #root::Hooks for #ident {
                const NAME: &'static str = #name;
                const PROVIDED: #root::Provided = #root::Provided {
                    own: &[#(<#provides as #root::HookType>::KEY),*],
                    bases: &[#(&<#base_tys as #root::Hooks>::PROVIDED),*],
                };

                fn __hooks_table() -> &'static #root::Table<Self> {
                    static TABLE: #root::OnceLock<#root::Table<#ident>> = #root::OnceLock::new();
                    TABLE.get_or_init(#root::Table::build)
                }

                fn __hooks_bases<R: #root::Hooks>(walker: &mut #root::Walker<'_, R, Self>) {
                    // `<B as Hooks>` named first: a base that is not a component is then one error,
                    // the trait's own; rustc drops the same error from `base::<B>`'s bound.
                    #(
                        let _ = <#base_tys as #root::Hooks>::NAME;
                        walker.base::<#base_tys>(|t| &t.#base_members, |t| &mut t.#base_members);
                    )*
                }

                fn __hooks_attached(&self) -> ::core::option::Option<&#root::AttachedHooks> {
                    #attached
                }

                fn __hooks_attached_mut(&mut self) -> ::core::option::Option<&mut #root::AttachedHooks> {
                    #attached_mut
                }
            }
        };
    }
}

/// The field that keeps run-time hooks, else the first base that has one, else `None`.
fn attached(input: &Component, root: &TokenStream) -> (TokenStream, TokenStream) {
    if let Some(field) = &input.attached {
        let (member, ty) = (&field.member, field.ty);
        return (
            quote!(::core::option::Option::Some(<#ty as ::core::convert::AsRef<#root::AttachedHooks>>::as_ref(&self.#member))),
            quote!(::core::option::Option::Some(<#ty as ::core::convert::AsMut<#root::AttachedHooks>>::as_mut(&mut self.#member))),
        );
    }
    let members: Vec<_> = input.bases.iter().map(|b| &b.member).collect();
    let tys: Vec<_> = input.bases.iter().map(|b| b.ty).collect();
    (
        quote! {
            #(if let ::core::option::Option::Some(a) = <#tys as #root::Hooks>::__hooks_attached(&self.#members) {
                return ::core::option::Option::Some(a);
            })*
            ::core::option::Option::None
        },
        quote! {
            #(if let ::core::option::Option::Some(a) = <#tys as #root::Hooks>::__hooks_attached_mut(&mut self.#members) {
                return ::core::option::Option::Some(a);
            })*
            ::core::option::Option::None
        },
    )
}
