//! `#[kpipe::step]`: a step defined by one function. The function's
//! parameters become its command line (an `Args` struct with
//! `#[derive(clap::Args, ToArgs)]`, so both sides share one renderer and
//! parser), its place in a pipeline (a step struct whose fields are its
//! inputs, and an outputs struct) and its registration (the function, which
//! `Steps::step` takes).

use proc_macro2::{Span, TokenStream as Tokens};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, Ident, ItemFn, LitStr, Pat, PathArguments, ReturnType, Type, Visibility,
};

use crate::step_docs;

/// What a parameter of the function is.
enum Role {
    /// A value of the command line; an input of the step.
    Value,
    /// `Input<T>`: an artifact the step reads.
    Input(Type),
    /// `Output<T>`: an artifact the step writes.
    Output(Type),
    /// `ParamWriter<T>`: an output parameter.
    Param(Type),
    /// `Metrics`: KFP's metrics file.
    Metrics,
    /// `UiMetadata`: KFP's UI metadata file.
    UiMetadata,
    /// `&mut Context`.
    Context,
}

struct Param {
    ident: Ident,
    ty: Type,
    role: Role,
    /// `--flag`'s name (the parameter in kebab-case).
    flag: String,
    docs: Vec<String>,
}

/// The names of what the macro generates for step `name`.
struct Names {
    kebab: String,
    step: Ident,
    args: Ident,
    outputs: Ident,
    module: Ident,
}

pub(crate) fn expand(attr: Tokens, mut function: ItemFn) -> syn::Result<Tokens> {
    let krate = crate_path(attr)?;
    check_signature(&function)?;
    let names = names(&function.sig.ident)?;
    let mut params = Vec::new();
    for input in &function.sig.inputs {
        params.push(param(input)?);
    }
    check_params(&params)?;
    let param_names: Vec<String> = params.iter().map(|p| unraw(&p.ident)).collect();
    let docs = step_docs::split(&step_docs::doc_lines(&function.attrs), &param_names);
    for p in &mut params {
        let mut listed = docs
            .params
            .get(&unraw(&p.ident))
            .cloned()
            .unwrap_or_default();
        p.docs.append(&mut listed);
    }
    // The inner function keeps the signature as written, without the
    // parameters' doc comments (rustc takes none there).
    for input in &mut function.sig.inputs {
        if let FnArg::Typed(t) = input {
            t.attrs.clear();
        }
    }
    let vis = function.vis.clone();
    let lifted = lift(&vis);
    let args_struct = args_struct(&krate, &names, &params, &docs.about, &lifted);
    let step_struct = step_struct(&krate, &names, &params, &vis, &function.sig.ident);
    let outputs_struct = outputs_struct(&krate, &names, &params, &vis);
    let step_impl = step_impl(&krate, &names, &params);
    let assertions = params
        .iter()
        .filter(|p| matches!(p.role, Role::Value))
        .map(|p| {
            let ty = &p.ty;
            quote_spanned! {ty.span()=>
                const _: () = {
                    fn assert_arg_value<T: #krate::ArgValue>() {}
                    let _ = assert_arg_value::<#ty>;
                };
            }
        });
    let runner = runner(&krate, &names, &params, function);
    let module = &names.module;
    let args = &names.args;
    Ok(quote! {
        #(#assertions)*
        #[doc(hidden)]
        mod #module {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use #krate::__private::clap;
            #args_struct
        }
        #[allow(unused_imports)]
        #vis use self::#module::#args;
        #step_struct
        #outputs_struct
        #step_impl
        #runner
    })
}

fn crate_path(attr: Tokens) -> syn::Result<Tokens> {
    let mut krate = quote!(::kpipe);
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            let path: LitStr = meta.value()?.parse()?;
            krate = path.parse::<syn::Path>()?.into_token_stream();
            Ok(())
        } else {
            Err(meta.error(
                "unknown `#[kpipe::step]` argument; the step is named after its function (only `crate = \"PATH\"` is accepted)",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, attr)?;
    Ok(krate)
}

fn check_signature(function: &ItemFn) -> syn::Result<()> {
    let sig = &function.sig;
    let refuse = |span: Span, what: &str| {
        Err(syn::Error::new(
            span,
            format!("a step function cannot be {what}: its container runs it once, to the end"),
        ))
    };
    if let Some(t) = &sig.asyncness {
        return refuse(
            t.span(),
            "`async` (start a runtime in its body if it needs one)",
        );
    }
    if let Some(t) = &sig.constness {
        return refuse(t.span(), "`const`");
    }
    if let Some(t) = &sig.unsafety {
        return refuse(t.span(), "`unsafe`");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "a step function has no generic parameters: its command line parses concrete types",
        ));
    }
    if let Some(v) = &sig.variadic {
        return Err(syn::Error::new(
            v.span(),
            "a step function has no variadic parameter",
        ));
    }
    if let ReturnType::Default = sig.output {
        return Err(syn::Error::new(
            sig.paren_token.span.close(),
            "a step function returns `anyhow::Result<()>`: an `Err` fails the step (exit code 1) with its message; add `-> anyhow::Result<()>`",
        ));
    }
    Ok(())
}

fn names(ident: &Ident) -> syn::Result<Names> {
    let name = unraw(ident);
    let kebab = name.replace('_', "-");
    let valid = kebab.starts_with(|c: char| c.is_ascii_lowercase())
        && kebab
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !kebab.ends_with('-')
        && !kebab.contains("--");
    if !valid {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "the step is named after its function in kebab-case (`{name}` → `{kebab}`), which must be a name Kubernetes accepts: a snake_case function name starting with a letter, e.g. `fit_line` → `fit-line`"
            ),
        ));
    }
    let camel: String = name
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    Ok(Names {
        kebab,
        step: Ident::new(&camel, ident.span()),
        args: format_ident!("{camel}Args", span = ident.span()),
        outputs: format_ident!("{camel}Outputs", span = ident.span()),
        module: format_ident!("__kpipe_step_{name}"),
    })
}

fn unraw(ident: &Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").unwrap_or(&s).to_owned()
}

fn param(input: &FnArg) -> syn::Result<Param> {
    let typed = match input {
        FnArg::Receiver(r) => {
            return Err(syn::Error::new(
                r.span(),
                "a step function is a free function, not a method: its parameters are its inputs and outputs",
            ));
        }
        FnArg::Typed(t) => t,
    };
    let ident = match &*typed.pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
        other => {
            return Err(syn::Error::new(
                other.span(),
                "a step function's parameter is a plain name (`rows: i64`): it names the flag (`--rows`) and the step's field",
            ));
        }
    };
    let mut docs = Vec::new();
    for attr in &typed.attrs {
        if !attr.path().is_ident("doc") {
            return Err(syn::Error::new(
                attr.span(),
                "a step function's parameters take doc comments only (they become the flag's help)",
            ));
        }
    }
    docs.extend(
        step_docs::doc_lines(&typed.attrs)
            .into_iter()
            .map(|l| l.trim().to_owned()),
    );
    let ty = (*typed.ty).clone();
    let role = role(&ty)?;
    let flag = unraw(&ident).replace('_', "-");
    Ok(Param {
        ident,
        ty,
        role,
        flag,
        docs,
    })
}

fn role(ty: &Type) -> syn::Result<Role> {
    match ty {
        Type::Reference(r) if r.mutability.is_some() => Ok(Role::Context),
        Type::Reference(r) => Err(syn::Error::new(
            r.span(),
            "a step function takes its inputs by value (`rows: i64`, `data: Input<Csv>`); the only reference is `ctx: &mut kpipe::Context`",
        )),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return Ok(Role::Value);
            };
            let inner = || -> syn::Result<Type> {
                if let PathArguments::AngleBracketed(args) = &last.arguments
                    && let [GenericArgument::Type(t)] =
                        args.args.iter().collect::<Vec<_>>().as_slice()
                {
                    return Ok((*t).clone());
                }
                Err(syn::Error::new(
                    last.span(),
                    format!(
                        "`{}` takes one type: `{}<Csv>`, `{}<Model>`, …",
                        last.ident, last.ident, last.ident
                    ),
                ))
            };
            match last.ident.to_string().as_str() {
                "Input" => Ok(Role::Input(inner()?)),
                "Output" => Ok(Role::Output(inner()?)),
                "ParamWriter" => Ok(Role::Param(inner()?)),
                "Metrics" => Ok(Role::Metrics),
                "UiMetadata" => Ok(Role::UiMetadata),
                _ => Ok(Role::Value),
            }
        }
        _ => Ok(Role::Value),
    }
}

fn check_params(params: &[Param]) -> syn::Result<()> {
    let mut seen = (false, false, false);
    for p in params {
        let again = match p.role {
            Role::Context => std::mem::replace(&mut seen.0, true),
            Role::Metrics => std::mem::replace(&mut seen.1, true),
            Role::UiMetadata => std::mem::replace(&mut seen.2, true),
            _ => false,
        };
        if again {
            return Err(syn::Error::new(
                p.ty.span(),
                "a step function takes this once: one `&mut Context`, one `Metrics` and one `UiMetadata` at most",
            ));
        }
        if !matches!(p.role, Role::Context)
            && ["help", "version", "log-format"].contains(&p.flag.as_str())
        {
            return Err(syn::Error::new(
                p.ident.span(),
                format!(
                    "`--{}` is taken by the step runner's own command line: name the parameter otherwise",
                    p.flag
                ),
            ));
        }
    }
    Ok(())
}

/// The visibility of an item one module down that the function's module
/// sees as `vis`.
fn lift(vis: &Visibility) -> Tokens {
    match vis {
        Visibility::Public(_) => quote!(pub),
        Visibility::Inherited => quote!(pub(super)),
        Visibility::Restricted(r) => {
            let path = &r.path;
            let first = path.segments.first().map(|s| s.ident.to_string());
            match first.as_deref() {
                Some("crate") => quote!(pub(in #path)),
                Some("self") if path.segments.len() == 1 => quote!(pub(super)),
                _ => quote!(pub(in super::#path)),
            }
        }
    }
}

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

fn args_struct(
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
    let camel: String = unraw(&p.ident)
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
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

fn step_struct(
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

fn outputs_struct(krate: &Tokens, names: &Names, params: &[Param], vis: &Visibility) -> Tokens {
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

fn step_impl(krate: &Tokens, names: &Names, params: &[Param]) -> Tokens {
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
            Role::Metrics => quote_spanned!(ty.span()=> #krate::Metrics::new(io.kfp_metrics())),
            Role::UiMetadata => {
                quote_spanned!(ty.span()=> #krate::UiMetadata::new(io.kfp_ui_metadata()))
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
fn runner(krate: &Tokens, names: &Names, params: &[Param], function: ItemFn) -> Tokens {
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
