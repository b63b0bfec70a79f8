//! `#[derive(Message)]` → the `Contract` impl, the contract's name as a value (when the type's
//! name is free in the value namespace) and, with `#[message(serde)]`, its remote registration.
//! Every decision is already in the model.
//!
//! Input:
//! ```ignore
//! #[derive(Message)] #[message(reply = u32)] pub struct Count { from: u32 }
//! ```
//! Output:
//! ```ignore
//! impl Contract for Count {
//!     type Reply = u32;
//!     const NAME: &'static str = "Count";
//!     fn key() -> &'static Key { static KEY: OnceLock<Key> = ..; KEY.get_or_init(|| Key::of_type::<Self>("Count")) }
//! }
//! #[doc(hidden)] pub const Count: ContractOf<Count> = ContractOf::new();
//! ```

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::contract::Contract;

pub(crate) fn expand(model: &Contract<'_>, root: &TokenStream) -> TokenStream {
    if model.unusable {
        return TokenStream::new();
    }
    let Contract { ident, vis, .. } = model;
    let reply = match &model.reply {
        Some(ty) => quote!(#ty),
        None => quote!(()),
    };
    let name = match &model.name {
        Some(name) => quote!(#name),
        None => {
            let name = ident.to_string();
            quote!(#name)
        }
    };
    // The contract's name as a value, for `#[on_message(Status)]`; hidden, like a derive's own items.
    let value_name = model.value_name_free.then(|| {
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals, dead_code, unreachable_pub)]
            #vis const #ident: #root::ContractOf<#ident> = #root::ContractOf::new();
        }
    });
    let remote = model.serde.map(|span| {
        // Through `remote_contract!`: this macro cannot see whether hooks-runtime has the `serde`
        // feature; without it that macro is one error naming the feature.
        quote_spanned!(span=> #root::remote_contract!(#ident);)
    });
    // The reply type is located at the user's `reply = T`: a reply that is not `Send + Sync +
    // 'static` is reported there.
    let reply_item = match &model.reply {
        Some(ty) => quote_spanned!(syn::spanned::Spanned::span(ty)=> type Reply = #reply;),
        None => quote!(type Reply = #reply;),
    };
    quote! {
        #[automatically_derived]
        impl #root::Contract for #ident {
            #reply_item
            const NAME: &'static str = #name;
            #[inline]
            fn key() -> &'static #root::Key {
                static KEY: #root::OnceLock<#root::Key> = #root::OnceLock::new();
                KEY.get_or_init(|| #root::Key::of_type::<Self>(#name))
            }
        }
        #value_name
        #remote
    }
}
