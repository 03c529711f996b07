//! What `#[kpipe::step]` generates from the parsed function: the
//! arguments struct, the step and its outputs, the `Step` impl, and the
//! function `Steps::step` registers.

use proc_macro2::TokenStream as Tokens;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn, ReturnType, Visibility};

use super::{Names, Param, Role, camel, unraw};

fn doc_attrs(lines: &[String]) -> Tokens {
    let lines = lines.iter().map(|l| {
        let l = if l.starts_with(' ') || l.is_empty() {
            l.clone()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

pub(super) fn args_struct(
    krate: &Tokens,
    names: &Names,
    params: &[Param],
    about: &[String],
    vis: &Tokens,
) -> Tokens {
    let krate_text = krate.to_string().replace(' ', "");
    let kebab = &names.kebab;
    let args = &names.args;
    let fields = params.iter().filter_map(|p| {
        let (ident, ty, flag) = (&p.ident, &p.ty, &p.flag);
        let docs = doc_attrs(&p.docs);
        let output = quote!(#[kpipe(output)]);
        let (field_ty, extra, output) = match &p.role {
            Role::Context => return None,
            Role::Value => (
                quote_spanned!(ty.span()=> #krate::Arg<#ty>),
                quote!(, value_parser = #krate::__private::parse_arg::<#ty>),
                Tokens::new(),
            ),
            Role::Input(_) => (quote!(#ty), Tokens::new(), Tokens::new()),
            Role::Output(_) | Role::Param(_) | Role::Metrics | Role::UiMetadata => {
                (quote!(#ty), Tokens::new(), output)
            }
        };
        Some(quote! {
            #docs
            #[arg(long = #flag #extra)]
            #output
            #vis #ident: #field_ty,
        })
    });
    let about = doc_attrs(about);
    quote! {
        #about
        #[derive(clap::Args, #krate::ToArgs, ::std::clone::Clone, ::std::fmt::Debug, ::std::cmp::PartialEq)]
        #[kpipe(crate = #krate_text, step = #kebab)]
        #[allow(missing_docs)]
        #vis struct #args {
            #(#fields)*
        }
    }
}

/// The generic parameter of a value field: the field in CamelCase, unless
/// a type of the signature is called that.
fn generic(p: &Param, params: &[Param], names: &Names) -> Ident {
    let camel = camel(&unraw(&p.ident));
    let taken = |name: &str| {
        params.iter().any(|q| {
            q.ty.to_token_stream()
                .into_iter()
                .any(|t| t.to_string() == name)
        }) || [&names.step, &names.args, &names.outputs]
            .iter()
            .any(|n| *n == name)
            || name == "Self"
    };
    let mut name = camel;
    while taken(&name) {
        name.push('_');
    }
    Ident::new(&name, p.ident.span())
}

pub(super) fn step_struct(
    krate: &Tokens,
    names: &Names,
    params: &[Param],
    vis: &Visibility,
    function: &Ident,
) -> Tokens {
    let kebab = &names.kebab;
    let step = &names.step;
    let has_inputs = params.iter().any(|p| matches!(p.role, Role::Input(_)));
    let lifetime = has_inputs.then(|| quote!('a,));
    let generics = params
        .iter()
        .filter(|p| matches!(p.role, Role::Value))
        .map(|p| {
            let (g, ty) = (generic(p, params, names), &p.ty);
            quote!(#g: #krate::IntoArg<#ty>)
        });
    let fields = params.iter().filter_map(|p| {
        let ident = &p.ident;
        let docs = doc_attrs(&p.docs);
        let ty = match &p.role {
            Role::Value => generic(p, params, names).into_token_stream(),
            Role::Input(t) => quote!(&'a #krate::Artifact<#t>),
            _ => return None,
        };
        Some(quote!(#docs #vis #ident: #ty,))
    });
    let doc = format!(
        " The step `{kebab}` in a pipeline (`p.add({step} {{ .. }})`): its fields are the inputs of `{function}` — a value, a `&Param`, a step's `&OutputParam` or a loop's `Item` for each value, a `&Artifact` for each `Input`; its outputs are `{}`.",
        names.outputs
    );
    quote! {
        #[doc = #doc]
        #[derive(::std::fmt::Debug)]
        #vis struct #step<#lifetime #(#generics),*> {
            #(#fields)*
        }
    }
}

pub(super) fn outputs_struct(
    krate: &Tokens,
    names: &Names,
    params: &[Param],
    vis: &Visibility,
) -> Tokens {
    let outputs = &names.outputs;
    let fields = params.iter().filter_map(|p| {
        let ident = &p.ident;
        let docs = doc_attrs(&p.docs);
        let ty = match &p.role {
            Role::Output(t) => quote!(#krate::Artifact<#t>),
            Role::Param(t) => quote!(#krate::OutputParam<#t>),
            _ => return None,
        };
        Some(quote!(#docs #vis #ident: #ty,))
    });
    let doc = format!(
        " What the step `{}` produces: an `Artifact` for each `Output`, an `OutputParam` for each `ParamWriter` of its function.",
        names.kebab
    );
    quote! {
        #[doc = #doc]
        #[derive(::std::fmt::Debug, ::std::clone::Clone)]
        #vis struct #outputs {
            #(#fields)*
        }
    }
}

pub(super) fn step_impl(krate: &Tokens, names: &Names, params: &[Param]) -> Tokens {
    let (step, args, outputs, kebab) = (&names.step, &names.args, &names.outputs, &names.kebab);
    let has_inputs = params.iter().any(|p| matches!(p.role, Role::Input(_)));
    let lifetime = has_inputs.then(|| quote!('a,));
    let generics: Vec<Ident> = params
        .iter()
        .filter(|p| matches!(p.role, Role::Value))
        .map(|p| generic(p, params, names))
        .collect();
    let bounds = params
        .iter()
        .filter(|p| matches!(p.role, Role::Value))
        .map(|p| {
            let (g, ty) = (generic(p, params, names), &p.ty);
            quote!(#g: #krate::IntoArg<#ty>)
        });
    let mut wiring = Vec::new();
    let mut arg_fields = Vec::new();
    let mut out_fields = Vec::new();
    for p in params {
        let (ident, ty) = (&p.ident, &p.ty);
        let name = unraw(ident);
        let local = format_ident!("__kpipe_{}", name);
        let value = match &p.role {
            Role::Context => continue,
            Role::Value => {
                quote!(#krate::IntoArg::<#ty>::into_arg(self.#ident, io))
            }
            Role::Input(t) => quote_spanned! {ty.span()=>
                #krate::Input::<#t>::new(io.input(#name, self.#ident))
            },
            Role::Output(t) => {
                let handle = format_ident!("__kpipe_out_{}", name);
                wiring.push(quote! {
                    let (#local, #handle) = io.output::<#t>(#name);
                });
                out_fields.push(quote!(#ident: #handle));
                quote_spanned!(ty.span()=> #krate::Output::<#t>::new(#local))
            }
            Role::Param(t) => {
                let handle = format_ident!("__kpipe_out_{}", name);
                wiring.push(quote! {
                    let (#local, #handle) = io.output_param::<#t>(#name);
                });
                out_fields.push(quote!(#ident: #handle));
                quote_spanned!(ty.span()=> #krate::ParamWriter::<#t>::new(#local))
            }
            // (kfp's `Output[Metrics]`: written on every success, so required
            // on every target and no KFP warning)
            Role::Metrics => {
                quote_spanned!(ty.span()=> #krate::Metrics::new(io.kfp_metrics_always()))
            }
            Role::UiMetadata => {
                quote_spanned!(ty.span()=> #krate::UiMetadata::new(io.kfp_ui_metadata_always()))
            }
        };
        let arg = format_ident!("__kpipe_arg_{}", name);
        wiring.push(quote!(let #arg = #value;));
        arg_fields.push(quote!(#ident: #arg));
    }
    quote! {
        impl<#lifetime #(#bounds),*> #krate::Step for #step<#lifetime #(#generics),*> {
            type Args = #args;
            type Outputs = #outputs;

            fn name(&self) -> ::std::string::String {
                ::std::string::String::from(#kebab)
            }

            fn wire(self, io: &mut #krate::Io<'_>) -> (#args, #outputs) {
                #(#wiring)*
                (#args { #(#arg_fields),* }, #outputs { #(#out_fields),* })
            }
        }
    }
}

/// The function `Steps::step` registers: the arguments struct and the
/// context in, the user's function (kept whole, inside) called with the
/// values.
pub(super) fn runner(krate: &Tokens, names: &Names, params: &[Param], function: ItemFn) -> Tokens {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = function;
    let args = &names.args;
    let ident = &sig.ident;
    let lints: Vec<_> = attrs
        .iter()
        .filter(|a| {
            ["allow", "expect", "warn", "deny"]
                .iter()
                .any(|l| a.path().is_ident(l))
        })
        .collect();
    let mut body_sig = sig.clone();
    body_sig.ident = Ident::new("__kpipe_step_body", sig.ident.span());
    let fields = params
        .iter()
        .filter(|p| !matches!(p.role, Role::Context))
        .map(|p| {
            let ident = &p.ident;
            let local = format_ident!("__kpipe_{}", unraw(ident));
            quote!(#ident: #local)
        });
    let has_context = params.iter().any(|p| matches!(p.role, Role::Context));
    let ctx = if has_context {
        quote!(ctx)
    } else {
        quote!(_ctx)
    };
    let call_args = params.iter().map(|p| {
        let local = format_ident!("__kpipe_{}", unraw(&p.ident));
        match p.role {
            Role::Context => quote!(ctx),
            Role::Value => {
                let flag = format!("--{}", p.flag);
                quote!(#krate::__private::arg_value(#local, #flag)?)
            }
            _ => quote!(#local),
        }
    });
    let returns = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => sig.span(),
    };
    let call = quote_spanned!(returns=> __kpipe_step_body(#(#call_args),*));
    let note = format!(
        " `#[kpipe::step]`: registered as the step `{}` (`Steps::new().step({ident})`); a pipeline adds it as `{}`, its command line is `{args}`.",
        names.kebab, names.step
    );
    quote! {
        #(#attrs)*
        #[doc = ""]
        #[doc = #note]
        #vis fn #ident(
            args: #args,
            #ctx: &mut #krate::Context,
        ) -> #krate::__private::anyhow::Result<()> {
            #[allow(clippy::too_many_arguments)]
            #(#lints)*
            #body_sig #block
            let #args { #(#fields),* } = args;
            #call
        }
    }
}
