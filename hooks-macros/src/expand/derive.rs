//! `#[derive(Hooks)] struct T { #[hooks(base)] b: B, .. }` → `impl Hooks for T`: its name, the hook
//! types it provides (a `const`, so `#[hooks]` can check methods at compile time), its cached
//! table, the walk over its bases and where run-time hooks are kept.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use syn::spanned::Spanned;

use crate::ast::Component;

pub(crate) fn expand(input: &Component, root: &TokenStream) -> TokenStream {
    let ident = input.ident;
    let name = ident.to_string();
    let provides = &input.provides;
    let base_tys: Vec<_> = input.bases.iter().map(|b| b.ty).collect();
    let base_members: Vec<_> = input.bases.iter().map(|b| &b.member).collect();
    let (attached, attached_mut) = attached(input, root);
    let storage = storage(input, root);
    let tree = tree(input, root);
    // Without bases, the table is built from the type's own registrations, by its `TypeId`.
    let build = if input.bases.is_empty() {
        quote!(#root::Table::cached_own(&TABLE, #root::TypeId::of::<Self>()))
    } else {
        quote!(#root::Table::cached(&TABLE, #root::Table::build::<Self>))
    };
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #root::Hooks for #ident {
                const NAME: &'static str = #name;
                const PROVIDED: #root::Provided = #root::Provided {
                    own: &[#(<#provides as #root::ProvidedKey>::KEY),*],
                    bases: &[#(&<#base_tys as #root::Hooks>::PROVIDED),*],
                };
                type Storage = #storage;

                fn __hooks_table() -> &'static #root::Table {
                    static TABLE: #root::OnceLock<#root::Table> = #root::OnceLock::new();
                    #build
                }

                fn __hooks_bases(walker: &mut #root::Walker<'_, Self>) {
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

                #tree
            }
        };
    }
}

/// Whether the type keeps run-time hooks, as a type: `Kept` with an `AttachedHooks` field, else
/// the first base's flag that is `Kept` (`B1::Storage::Or<B2::Storage::Or<NotKept>>`).
fn storage(input: &Component, root: &TokenStream) -> TokenStream {
    if input.attached.is_some() {
        return quote!(#root::storage::Kept);
    }
    input.bases.iter().rev().fold(quote!(#root::storage::NotKept), |rest, base| {
        let ty = base.ty;
        // Spanned on the field's type: a base that is not a component is then reported once, on
        // the type, as `__hooks_bases` reports it (rustc merges the two).
        quote_spanned!(ty.span() => <<#ty as #root::Hooks>::Storage as #root::storage::Flag>::Or<#rest>)
    })
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

/// The tree methods: the `#[hooks(name)]` field and the children (bases' children first).
fn tree(input: &Component, root: &TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some(field) = &input.name {
        let (member, ty) = (&field.member, field.ty);
        out.extend(quote! {
            fn __hooks_name(&self) -> ::core::option::Option<&str> {
                ::core::option::Option::Some(<#ty as ::core::convert::AsRef<str>>::as_ref(&self.#member))
            }
        });
    }
    if input.children.is_empty() && input.bases.is_empty() {
        return out;
    }
    let base_members: Vec<_> = input.bases.iter().map(|b| &b.member).collect();
    let base_tys: Vec<_> = input.bases.iter().map(|b| b.ty).collect();
    let (mut each, mut each_mut) = (Vec::new(), Vec::new());
    for (field, many) in &input.children {
        let (member, ty) = (&field.member, field.ty);
        let span = syn::spanned::Spanned::span(ty);
        if *many {
            each.push(quote!(<#ty as #root::ChildNodes>::collect_nodes(&self.#member, __hooks_out);));
            each_mut.push(quote!(__hooks_out.list(&mut self.#member);));
        } else {
            each.push(quote_spanned!(span=> { let child: &dyn #root::Node = &self.#member; __hooks_out.push(child); }));
            each_mut.push(
                quote_spanned!(span=> { let child: &mut dyn #root::Node = &mut self.#member; __hooks_out.node(child); }),
            );
        }
    }
    // The children are handed out (borrowed for `'__hooks_a`, one field each), not visited in a
    // callback: the tree walks keep them in a `Vec` instead of recursing (issue #11, any depth).
    out.extend(quote! {
        fn __hooks_children<'__hooks_a>(
            &'__hooks_a self,
            __hooks_out: &mut #root::Vec<&'__hooks_a dyn #root::Node>,
        ) {
            #(<#base_tys as #root::Hooks>::__hooks_children(&self.#base_members, __hooks_out);)*
            #(#each)*
        }

        fn __hooks_children_mut<'__hooks_a>(
            &'__hooks_a mut self,
            __hooks_out: &mut #root::ChildVisitor<'__hooks_a>,
        ) {
            #(<#base_tys as #root::Hooks>::__hooks_children_mut(&mut self.#base_members, __hooks_out);)*
            #(#each_mut)*
        }
    });
    out
}
