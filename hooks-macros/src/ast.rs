//! The macros' own model of their input: a component (`#[derive(Hooks)]`), a hooks impl
//! (`#[hooks]`, with its `#[stage]` methods) and a registered callback (`#[callback]`). Built
//! from `syn` while recording errors; never returns early.

use syn::{Attribute, Ident};

use crate::attr::{CallbackArgs, HookAttr, HookKind, StageAttr};
use crate::ctxt::Ctxt;
use crate::kw;
use crate::sig::{HookSig, StageSig};

/// `#[derive(Hooks)] struct ..`
pub(crate) struct Component<'a> {
    pub(crate) ident: &'a Ident,
    /// Each `#[provides_hooks(..)]` type.
    pub(crate) provides: Vec<syn::Path>,
    /// Each `#[hooks(base)]` field, in field order.
    pub(crate) bases: Vec<Field<'a>>,
    /// The field that keeps run-time hooks, if any.
    pub(crate) attached: Option<Field<'a>>,
    /// `#[hooks(crate = "..")]`.
    pub(crate) krate: Option<syn::Path>,
    /// The `#[hooks(name)]` field: the instance's name in a tree.
    pub(crate) name: Option<Field<'a>>,
    /// Each `#[hooks(child)]` (`false`) and `#[hooks(children)]` (`true`) field, in field order.
    pub(crate) children: Vec<(Field<'a>, bool)>,
}

pub(crate) struct Field<'a> {
    pub(crate) member: syn::Member,
    pub(crate) ty: &'a syn::Type,
}

impl<'a> Component<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a syn::DeriveInput) -> Component<'a> {
        let mut component = Component {
            ident: &input.ident,
            provides: Vec::new(),
            bases: Vec::new(),
            attached: None,
            krate: None,
            name: None,
            children: Vec::new(),
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "`#[derive(Hooks)]` cannot be used on a generic type: hook registrations are static, one per type",
            );
        }
        for attr in &input.attrs {
            if attr.path().is_ident(kw::PROVIDES_HOOKS) {
                // #[provides_hooks(OnMessage, OnWorkerUpdate)]
                match attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated) {
                    Ok(paths) => component.provides.extend(paths),
                    Err(err) => cx.syn_error(err),
                }
            } else if attr.path().is_ident(kw::HOOKS) {
                // #[hooks(crate = "path")]
                let result = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident(kw::CRATE) {
                        let lit: syn::LitStr = meta.value()?.parse()?;
                        component.krate = Some(lit.parse()?);
                        Ok(())
                    } else {
                        Err(meta.error("unknown `hooks` option on a type; expected `crate = \"..\"`"))
                    }
                });
                if let Err(err) = result {
                    cx.syn_error(err);
                }
            }
        }
        let fields = match &input.data {
            syn::Data::Struct(data) => &data.fields,
            syn::Data::Enum(e) => {
                cx.error_spanned_by(e.enum_token, "`#[derive(Hooks)]` needs a struct");
                return component;
            }
            syn::Data::Union(u) => {
                cx.error_spanned_by(u.union_token, "`#[derive(Hooks)]` needs a struct");
                return component;
            }
        };
        let mut attached_by_type = None;
        for (i, field) in fields.iter().enumerate() {
            let member = match &field.ident {
                Some(ident) => syn::Member::Named(ident.clone()),
                None => syn::Member::Unnamed(i.into()),
            };
            let (mut base, mut attached) = (false, None);
            for attr in field.attrs.iter().filter(|a| a.path().is_ident(kw::HOOKS)) {
                // #[hooks(base)]  |  #[hooks(attached)]  |  #[hooks(name)]  |  #[hooks(child)]  |  #[hooks(children)]
                let result = attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident(kw::BASE) {
                        base = true;
                        Ok(())
                    } else if meta.path.is_ident(kw::ATTACHED) {
                        attached = Some(attr);
                        Ok(())
                    } else if meta.path.is_ident(kw::NAME) {
                        if component.name.is_some() {
                            return Err(meta.error("only one field can be `#[hooks(name)]`"));
                        }
                        component.name = Some(Field { member: member.clone(), ty: &field.ty });
                        Ok(())
                    } else if meta.path.is_ident(kw::CHILD) || meta.path.is_ident(kw::CHILDREN) {
                        let many = meta.path.is_ident(kw::CHILDREN);
                        component.children.push((Field { member: member.clone(), ty: &field.ty }, many));
                        Ok(())
                    } else {
                        Err(meta.error(
                            "unknown `hooks` option on a field; expected `base`, `attached`, `name`, `child` or `children`",
                        ))
                    }
                });
                if let Err(err) = result {
                    cx.syn_error(err);
                }
            }
            if base {
                component.bases.push(Field { member: member.clone(), ty: &field.ty });
            }
            if let Some(attr) = attached {
                if component.attached.is_some() {
                    cx.error_spanned_by(attr, "only one field can be `#[hooks(attached)]`");
                }
                component.attached = Some(Field { member, ty: &field.ty });
            } else if attached_by_type.is_none() && is_attached_hooks_type(&field.ty) {
                attached_by_type = Some(Field { member, ty: &field.ty });
            }
        }
        if component.attached.is_none() {
            component.attached = attached_by_type;
        }
        component
    }
}

/// A field of type `AttachedHooks` (any path ending so) keeps run-time hooks without a marker.
fn is_attached_hooks_type(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| s.ident == "AttachedHooks" && s.arguments.is_none()))
}

/// `#[hooks] impl Type { .. }`
pub(crate) struct HooksImpl {
    pub(crate) self_ty: syn::Type,
    /// The type's name as written (last path segment).
    pub(crate) self_name: String,
    pub(crate) methods: Vec<HookMethod>,
    /// The `#[stage]` methods (a method may also be a hook method).
    pub(crate) stages: Vec<StageMethod>,
}

/// One method with a hook attribute.
pub(crate) struct HookMethod {
    pub(crate) ident: Ident,
    /// Position among the impl's items: definition order where locations tie (hooks generated
    /// by one `macro_rules!` call all share its location).
    pub(crate) index: u32,
    pub(crate) attr: HookAttr,
    /// The attribute's name, where errors about the hook type are spanned.
    pub(crate) attr_span: proc_macro2::Span,
    pub(crate) sig: HookSig,
    /// The method's `#[cfg(..)]`s, copied onto its shim and registration.
    pub(crate) cfgs: Vec<Attribute>,
}

/// One `#[stage(Path)]` method: its body is rewritten to run between the stage's observers.
pub(crate) struct StageMethod {
    pub(crate) ident: Ident,
    /// Position among the impl's items: the method whose body is rewritten.
    pub(crate) index: usize,
    pub(crate) attr: StageAttr,
    pub(crate) sig: StageSig,
}

/// Whether `attr` is one of the hook attributes, by its last path segment.
pub(crate) fn hook_attribute_kind(attr: &Attribute) -> Option<HookKind> {
    let last = attr.path().segments.last()?;
    HookKind::from_name(&last.ident.to_string())
}

impl HooksImpl {
    /// Builds the model and strips every hook and `#[stage]` attribute from `item` (also those
    /// that fail to parse), so that the impl can always be emitted as the user wrote it.
    pub(crate) fn from_syn(cx: &Ctxt, item: &mut syn::ItemImpl) -> HooksImpl {
        let self_name = match &*item.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
            other => quote::ToTokens::to_token_stream(other).to_string(),
        };
        let (mut methods, mut stages) = (Vec::new(), Vec::new());
        for (index, impl_item) in item.items.iter_mut().enumerate() {
            let syn::ImplItem::Fn(method) = impl_item else {
                strip_misplaced(cx, impl_item);
                continue;
            };
            stages.extend(StageMethod::from_syn(cx, index, method));
            let (hooks, kept): (Vec<Attribute>, Vec<Attribute>) =
                std::mem::take(&mut method.attrs).into_iter().partition(|a| hook_attribute_kind(a).is_some());
            method.attrs = kept;
            let mut hooks = hooks.into_iter();
            let Some(first) = hooks.next() else { continue };
            for extra in hooks {
                cx.error_spanned_by(
                    &extra,
                    "a method can carry only one hook attribute; write a second method that calls this one",
                );
            }
            let Some(kind) = hook_attribute_kind(&first) else { continue };
            let sig = HookSig::from_syn(cx, kind.descriptor(), &method.sig);
            let Some(attr) = HookAttr::from_attr(cx, kind, &first) else { continue };
            let cfgs = method.attrs.iter().filter(|a| a.path().is_ident("cfg")).cloned().collect();
            methods.push(HookMethod {
                ident: method.sig.ident.clone(),
                index: index as u32,
                attr,
                attr_span: first.path().segments.last().map_or_else(proc_macro2::Span::call_site, |s| s.ident.span()),
                sig,
                cfgs,
            });
        }
        HooksImpl { self_ty: (*item.self_ty).clone(), self_name, methods, stages }
    }
}

impl StageMethod {
    /// Strips every `#[stage(..)]` from `method` (also those that fail to parse) and reads the
    /// first; a second one is reported and removed, since rustc's own error about it would only
    /// confuse.
    fn from_syn(cx: &Ctxt, index: usize, method: &mut syn::ImplItemFn) -> Option<StageMethod> {
        let (stages, kept): (Vec<Attribute>, Vec<Attribute>) =
            std::mem::take(&mut method.attrs).into_iter().partition(|a| a.path().is_ident(kw::STAGE));
        method.attrs = kept;
        let mut stages = stages.iter();
        let first = stages.next()?;
        for extra in stages {
            cx.error_spanned_by(extra, "a method can be only one stage");
        }
        Some(StageMethod {
            ident: method.sig.ident.clone(),
            index,
            attr: StageAttr::from_attr(cx, first)?,
            sig: StageSig::from_syn(&method.sig),
        })
    }
}

/// `#[callback(name = "..")] impl Trait for Type { .. }`: `Type` registered in the family
/// `dyn Trait` under `name`.
pub(crate) struct CallbackImpl<'a> {
    /// `name = ".."`: what a configuration calls it.
    pub(crate) name: syn::LitStr,
    /// `crate = ".."`.
    pub(crate) krate: Option<syn::Path>,
    /// The callback trait implemented: the family, `dyn Trait`.
    pub(crate) family: &'a syn::Path,
    /// The family's name as written (last path segment), for messages at run time.
    pub(crate) family_name: String,
    pub(crate) self_ty: &'a syn::Type,
    /// The type as written, without spaces, for messages at run time.
    pub(crate) type_name: String,
}

impl<'a> CallbackImpl<'a> {
    /// Reads the arguments and the impl, recording every mistake: unknown or duplicate keys, an
    /// empty or missing `name`, an impl that is not a (positive) trait impl. `None` when one of
    /// these leaves nothing to register (an error is then recorded); a generic impl is
    /// `valid::check_callback`'s.
    pub(crate) fn from_syn(cx: &Ctxt, args: proc_macro2::TokenStream, item: &'a syn::ItemImpl) -> Option<Self> {
        let CallbackArgs { name, krate, complete } = CallbackArgs::from_tokens(cx, args);
        if name.is_none() && complete {
            // An attribute macro's call site is the attribute itself.
            cx.syn_error(syn::Error::new(
                proc_macro2::Span::call_site(),
                "missing `name = \"..\"`: `#[callback(name = \"early_stopping\")]`",
            ));
        }
        // A negative impl (`impl !Trait for Type`) implements nothing to build.
        let family = match (&item.trait_, &item.modifiers.polarity) {
            (Some((path, _)), None) => Some(path),
            _ => {
                cx.error_spanned_by(
                    &item.self_ty,
                    "`#[callback]` goes on an implementation of the callback trait: `impl TrainerCallback for Type`",
                );
                None
            }
        };
        let (name, family) = (name?, family?);
        Some(CallbackImpl {
            name,
            krate,
            family,
            family_name: family.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
            self_ty: &item.self_ty,
            type_name: quote::ToTokens::to_token_stream(&item.self_ty).to_string().replace(' ', ""),
        })
    }
}

/// A hook attribute on an associated const or type: reported and removed.
fn strip_misplaced(cx: &Ctxt, item: &mut syn::ImplItem) {
    let attrs = match item {
        syn::ImplItem::Const(c) => &mut c.attrs,
        syn::ImplItem::Type(t) => &mut t.attrs,
        _ => return,
    };
    attrs.retain(|a| match hook_attribute_kind(a) {
        Some(kind) => {
            cx.error_spanned_by(a, format!("`#[{}]` goes on a method", kind.attr_name()));
            false
        }
        None => true,
    });
}
