//! `#[callback(name = "..")] impl Family for Type { .. }` → the impl as written, and a
//! `CallbackFactory` registration that builds `Type` from its settings as a `Box<dyn Family>`.
//! Every decision is already in the model.
//!
//! Input:
//! ```ignore
//! #[callback(name = "early_stopping")] impl TrainerCallback for EarlyStopping { .. }
//! ```
//! Output:
//! ```ignore
//! impl TrainerCallback for EarlyStopping { .. }
//! const _: () = {
//!     callback_registration! {
//!         fn __hooks_into(callback: EarlyStopping) -> Box<dyn TrainerCallback> { Box::new(callback) }
//!         fn __hooks_build(settings: &Settings) -> Result<Box<dyn Any + Send>, String> { .. }
//!         inventory::submit! { CallbackFactory { family: TypeId::of::<dyn TrainerCallback>, name: "early_stopping", .. } }
//!     }
//! };
//! ```

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::CallbackImpl;

pub(crate) fn expand(item: &syn::ItemImpl, model: &CallbackImpl<'_>) -> TokenStream {
    let root = super::paths::private_root(model.krate.as_ref());
    let CallbackImpl { name, family, family_name, self_ty, type_name, .. } = model;
    quote! {
        #item

        // Through `callback_registration!`: this macro cannot see whether hooks-runtime has the
        // `config` feature, which the registration needs; without it that macro is one error
        // naming the feature.
        const _: () = {
            #root::callback_registration! {
                fn __hooks_into(callback: #self_ty) -> #root::Box<dyn #family> {
                    #root::Box::new(callback)
                }
                fn __hooks_build(
                    settings: &#root::Settings,
                ) -> ::core::result::Result<#root::Box<dyn ::core::any::Any + ::core::marker::Send>, ::std::string::String> {
                    #root::build_from_settings::<dyn #family, #self_ty>(settings, __hooks_into)
                }
                #root::inventory::submit! {
                    #root::CallbackFactory {
                        family: #root::TypeId::of::<dyn #family>,
                        family_name: #family_name,
                        name: #name,
                        type_name: #type_name,
                        build: __hooks_build,
                    }
                }
            }
        };
    }
}
