//! The one path all generated code starts from: `::hooks_runtime::__private`, or
//! `<crate>::__private` with `crate = ".."`.

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn private_root(krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::hooks_runtime::__private),
    }
}
