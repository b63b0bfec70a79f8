//! `#[derive(Message)]`: the model of a message contract (its type, `#[message(..)]` options),
//! built while recording every mistake. The expansion is in `expand/contract.rs`.

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::ctxt::Ctxt;
use crate::kw;

/// `#[derive(Message)] #[message(reply = T, name = "..", serde, crate = "..")] struct ..`
pub(crate) struct Contract<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) vis: &'a syn::Visibility,
    /// The type's name is free in the value namespace (a struct with fields, an enum): the
    /// expansion names the contract there too, so that `#[on_message(Status)]` works.
    pub(crate) value_name_free: bool,
    pub(crate) reply: Option<syn::Type>,
    pub(crate) name: Option<syn::LitStr>,
    /// The span of `serde`, when given.
    pub(crate) serde: Option<Span>,
    pub(crate) krate: Option<syn::Path>,
    /// Generic or a union: nothing can be implemented.
    pub(crate) unusable: bool,
}

/// A key that may be set once: the second setting is reported on its key.
fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, key: &syn::Path, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(key, format!("duplicate key `{}`", quote::ToTokens::to_token_stream(key)));
    } else {
        *slot = Some(value);
    }
}

impl<'a> Contract<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a syn::DeriveInput) -> Contract<'a> {
        let mut contract = Contract {
            ident: &input.ident,
            vis: &input.vis,
            value_name_free: false,
            reply: None,
            name: None,
            serde: None,
            krate: None,
            unusable: false,
        };
        if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
            cx.error_spanned_by(
                &input.generics,
                "`#[derive(Message)]` cannot be used on a generic type: a contract routes by its type, one key per type; \
                 declare one contract per payload type",
            );
            contract.unusable = true;
        }
        contract.value_name_free = match &input.data {
            syn::Data::Struct(data) => matches!(data.fields, syn::Fields::Named(_)),
            syn::Data::Enum(_) => true,
            syn::Data::Union(u) => {
                cx.error_spanned_by(u.union_token, "`#[derive(Message)]` needs a struct or an enum");
                contract.unusable = true;
                false
            }
        };
        for attr in input.attrs.iter().filter(|a| a.path().is_ident(kw::MESSAGE)) {
            // #[message(reply = u32, name = "workers.count", serde, crate = "path")]
            let result = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(kw::REPLY) {
                    let ty: syn::Type = meta.value()?.parse().map_err(|err| {
                        syn::Error::new(err.span(), "`reply` takes a type, e.g. `reply = u32` or `reply = Vec<String>`")
                    })?;
                    set_once(cx, &mut contract.reply, &meta.path, ty);
                } else if meta.path.is_ident(kw::NAME) {
                    let name: syn::LitStr = meta.value()?.parse()?;
                    match check_name(&name.value()) {
                        Ok(()) => set_once(cx, &mut contract.name, &meta.path, name),
                        Err(why) => cx.error_spanned_by(&name, why),
                    }
                } else if meta.path.is_ident(kw::SERDE) {
                    set_once(cx, &mut contract.serde, &meta.path, meta.path.span());
                } else if meta.path.is_ident(kw::CRATE) {
                    let lit: syn::LitStr = meta.value()?.parse()?;
                    set_once(cx, &mut contract.krate, &meta.path, lit.parse()?);
                } else {
                    // Reported, then skipped (with its value), so the keys after it are still read.
                    let key = quote::ToTokens::to_token_stream(&meta.path).to_string().replace(' ', "");
                    cx.error_spanned_by(
                        &meta.path,
                        format!("unknown key `{key}` in `#[message]`; expected one of: reply, name, serde, crate"),
                    );
                    if meta.input.peek(syn::Token![=]) {
                        meta.value()?.parse::<syn::Expr>()?;
                    }
                }
                Ok(())
            });
            if let Err(err) = result {
                cx.syn_error(err);
            }
        }
        contract
    }
}

/// A contract's name is the subject a transport (NATS) sends it under: words of any characters
/// but whitespace and the wildcards `*` and `>`, separated by single dots.
fn check_name(name: &str) -> Result<(), String> {
    let words_ok = !name.is_empty()
        && name
            .split('.')
            .all(|word| !word.is_empty() && !word.chars().any(|c| c.is_whitespace() || c == '*' || c == '>'));
    if words_ok {
        Ok(())
    } else {
        Err(format!(
            "`name = {name:?}` cannot be a subject: use words without spaces, `*` or `>`, separated by single dots, \
             e.g. `name = \"workers.status\"`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn a_name_is_a_subject() {
        for good in ["Count", "workers.status", "a.b-c_d.E1", "é.ü"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", ".a", "a.", "a..b", "a b", "a.*", "a.>", "tab\there"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
