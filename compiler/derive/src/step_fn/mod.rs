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

mod items;

use items::{args_struct, outputs_struct, runner, step_impl, step_struct};

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
    let camel = camel(&name);
    Ok(Names {
        kebab,
        step: Ident::new(&camel, ident.span()),
        args: format_ident!("{camel}Args", span = ident.span()),
        outputs: format_ident!("{camel}Outputs", span = ident.span()),
        module: format_ident!("__kpipe_step_{name}"),
    })
}

/// `snake_case` as `CamelCase` (`fit_line` → `FitLine`).
fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
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
