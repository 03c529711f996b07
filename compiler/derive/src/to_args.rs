//! `#[derive(ToArgs)]`: see the crate documentation.

use proc_macro2::TokenStream as Tokens;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{
    Attribute, Data, DeriveInput, Expr, Fields, GenericArgument, LitChar, LitStr, PathArguments,
    Type,
};

/// How a field is written.
enum Shape {
    /// `--name` when true.
    Flag,
    /// `--name` when false (`ArgAction::SetFalse`).
    FlagUnset,
    /// `--name` repeated (`ArgAction::Count`).
    Count,
    /// One value.
    One,
    /// A value when `Some`.
    Optional,
    /// One value per element.
    Many,
    /// One value per element when `Some`.
    OptionalMany,
    /// The field's own arguments.
    Flatten,
    /// Not written.
    Skip,
}

struct Field {
    ident: syn::Ident,
    shape: Shape,
    /// `--long` or `-s`; `None` for a positional.
    flag: Option<String>,
    output: bool,
}

struct StructOptions {
    step: Option<LitStr>,
    krate: Tokens,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let options = struct_options(&input.attrs)?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "ToArgs derives only for structs with named fields (a step's clap `Args` struct)",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new(
            input.ident.span(),
            "ToArgs needs named fields: each field is one flag, option or positional",
        ));
    };
    let fields = named
        .named
        .iter()
        .map(field)
        .collect::<syn::Result<Vec<Field>>>()?;
    let krate = &options.krate;
    let writes = fields.iter().map(|f| write_field(f, krate));
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let to_args = options.step.as_ref().map(|step| {
        quote! {
            fn to_args(&self) -> ::std::vec::Vec<::std::string::String> {
                let mut w = #krate::ArgsWriter::new(#step);
                #krate::ToArgs::write_args(self, &mut w);
                w.finish()
            }
        }
    });
    let step_args = match &options.step {
        Some(step) => {
            let outputs = fields
                .iter()
                .filter(|f| f.output)
                .map(output_path)
                .collect::<syn::Result<Vec<Tokens>>>()?;
            quote! {
                impl #impl_generics #krate::StepArgs for #name #ty_generics #where_clause {
                    const NAME: &'static str = #step;
                    fn output_paths(&self) -> ::std::vec::Vec<&::std::path::Path> {
                        let mut paths: ::std::vec::Vec<&::std::path::Path> = ::std::vec::Vec::new();
                        #(#outputs)*
                        paths
                    }
                }
            }
        }
        None => {
            if let Some(f) = fields.iter().find(|f| f.output) {
                return Err(syn::Error::new(
                    f.ident.span(),
                    "`#[kpipe(output)]` needs `#[kpipe(step = \"NAME\")]` on the struct: only a step's arguments have outputs the runtime prepares",
                ));
            }
            Tokens::new()
        }
    };
    Ok(quote! {
        impl #impl_generics #krate::ToArgs for #name #ty_generics #where_clause {
            fn write_args(&self, w: &mut #krate::ArgsWriter) {
                #[allow(unused_imports)]
                use #krate::__private::{
                    ViaArgValue as _, ViaDisplay as _, ViaPath as _, ViaValueEnum as _,
                };
                #(#writes)*
            }
            #to_args
        }
        #step_args
    })
}

fn struct_options(attrs: &[Attribute]) -> syn::Result<StructOptions> {
    let mut options = StructOptions {
        step: None,
        krate: quote!(::kpipe),
    };
    for attr in attrs {
        if attr.path().is_ident("kpipe") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("step") {
                    let name: LitStr = meta.value()?.parse()?;
                    if name.value().is_empty() || name.value().starts_with('-') {
                        return Err(meta.error(
                            "a step name is a subcommand: non-empty, not starting with `-`",
                        ));
                    }
                    options.step = Some(name);
                } else if meta.path.is_ident("crate") {
                    let path: LitStr = meta.value()?.parse()?;
                    options.krate = path.parse::<syn::Path>()?.into_token_stream();
                } else {
                    return Err(meta.error(
                        "unknown kpipe attribute; expected `step = \"NAME\"` or `crate = \"PATH\"`",
                    ));
                }
                Ok(())
            })?;
        } else if attr.path().is_ident("command") || attr.path().is_ident("clap") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename_all") {
                    let case: LitStr = meta.value()?.parse()?;
                    if case.value() != "kebab-case" {
                        return Err(meta.error(format!(
                            "ToArgs follows clap's default kebab-case names; `rename_all = \"{}\"` is not supported: name each flag with `long = \"…\"` instead",
                            case.value()
                        )));
                    }
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(options)
}

/// Consumes whatever follows an attribute key we do not interpret.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: Tokens = content.parse()?;
    }
    Ok(())
}

fn field(f: &syn::Field) -> syn::Result<Field> {
    let ident = f
        .ident
        .clone()
        .ok_or_else(|| syn::Error::new(f.span(), "ToArgs needs named fields"))?;
    let mut long: Option<String> = None;
    let mut short: Option<char> = None;
    let mut flatten = false;
    let mut skip = false;
    let mut output = false;
    let mut positional_index = false;
    let mut action: Option<String> = None;
    for attr in &f.attrs {
        let path = attr.path();
        if path.is_ident("kpipe") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("output") {
                    output = true;
                } else if meta.path.is_ident("skip") {
                    skip = true;
                } else {
                    return Err(
                        meta.error("unknown kpipe field attribute; expected `output` or `skip`")
                    );
                }
                Ok(())
            })?;
        } else if path.is_ident("arg") || path.is_ident("clap") || path.is_ident("command") {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("long") {
                    long = Some(if meta.input.peek(syn::Token![=]) {
                        let v: LitStr = meta.value()?.parse()?;
                        v.value()
                    } else {
                        kebab(&ident)
                    });
                } else if meta.path.is_ident("short") {
                    short = Some(if meta.input.peek(syn::Token![=]) {
                        let v: LitChar = meta.value()?.parse()?;
                        v.value()
                    } else {
                        kebab(&ident).chars().next().unwrap_or('x')
                    });
                } else if meta.path.is_ident("flatten") {
                    flatten = true;
                } else if meta.path.is_ident("skip") {
                    skip = true;
                    skip_value(&meta)?;
                } else if meta.path.is_ident("index") {
                    positional_index = true;
                    skip_value(&meta)?;
                } else if meta.path.is_ident("action") {
                    let e: Expr = meta.value()?.parse()?;
                    action = Some(e.to_token_stream().to_string().replace(' ', ""));
                } else if meta.path.is_ident("subcommand") {
                    return Err(meta.error(
                        "a step's arguments cannot hold a subcommand; give each step its own struct",
                    ));
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            })?;
        }
    }
    let flag = if positional_index {
        None
    } else {
        long.map(|l| format!("--{l}"))
            .or_else(|| short.map(|s| format!("-{s}")))
    };
    let ty = &f.ty;
    let action = action
        .as_deref()
        .map(|a| a.rsplit("::").next().unwrap_or(a).to_owned());
    let shape = if skip {
        Shape::Skip
    } else if flatten {
        Shape::Flatten
    } else if let Some(a) = action.as_deref() {
        match a {
            "SetTrue" => Shape::Flag,
            "SetFalse" => Shape::FlagUnset,
            "Count" => Shape::Count,
            "Append" => container_shape(ty, Shape::Many),
            _ => container_shape(ty, Shape::One),
        }
    } else if is_bool(ty) && flag.is_some() {
        Shape::Flag
    } else {
        container_shape(ty, Shape::One)
    };
    if output && !matches!(shape, Shape::One | Shape::Optional) {
        return Err(syn::Error::new(
            ident.span(),
            "`#[kpipe(output)]` marks one path (a `PathBuf` or `Option<PathBuf>` field)",
        ));
    }
    Ok(Field {
        ident,
        shape,
        flag,
        output,
    })
}

/// `Option<T>`, `Vec<T>`, `Option<Vec<T>>`, or `plain`.
fn container_shape(ty: &Type, plain: Shape) -> Shape {
    match outer(ty) {
        Some(("Option", inner)) if outer(inner).is_some_and(|(n, _)| n == "Vec") => {
            Shape::OptionalMany
        }
        Some(("Option", _)) => Shape::Optional,
        Some(("Vec", _)) => Shape::Many,
        _ => plain,
    }
}

/// The container name and its type argument, for `Option<T>` and `Vec<T>`.
fn outer(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let name = match last.ident.to_string().as_str() {
        "Option" => "Option",
        "Vec" => "Vec",
        _ => return None,
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some((name, t)),
        _ => None,
    }
}

fn is_bool(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.is_ident("bool"))
}

/// clap's default long name: the field in kebab-case.
fn kebab(ident: &syn::Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").unwrap_or(&name).replace('_', "-")
}

fn value(expr: Tokens) -> Tokens {
    quote! { (&&&&__Wrap(#expr)).arg_value() }
}

fn write_field(f: &Field, krate: &Tokens) -> Tokens {
    let ident = &f.ident;
    let wrap = quote! { use #krate::__private::Wrap as __Wrap; };
    let push = |v: Tokens| match &f.flag {
        Some(flag) => quote! { w.option(#flag, #v); },
        None => quote! { w.positional(#v); },
    };
    let body = match f.shape {
        Shape::Skip => return Tokens::new(),
        Shape::Flatten => return quote! { #krate::ToArgs::write_args(&self.#ident, w); },
        Shape::Flag => {
            let flag = f.flag.clone().unwrap_or_default();
            return quote! { if self.#ident { w.flag(#flag); } };
        }
        Shape::FlagUnset => {
            let flag = f.flag.clone().unwrap_or_default();
            return quote! { if !self.#ident { w.flag(#flag); } };
        }
        Shape::Count => {
            let flag = f.flag.clone().unwrap_or_default();
            return quote! { for _ in 0..self.#ident { w.flag(#flag); } };
        }
        Shape::One => push(value(quote!(&self.#ident))),
        Shape::Optional => {
            let p = push(value(quote!(v)));
            quote! { if let ::std::option::Option::Some(v) = &self.#ident { #p } }
        }
        Shape::Many => {
            let p = push(value(quote!(v)));
            quote! { for v in &self.#ident { #p } }
        }
        Shape::OptionalMany => {
            let p = push(value(quote!(v)));
            quote! { for v in self.#ident.iter().flatten() { #p } }
        }
    };
    quote! { { #wrap #body } }
}

fn output_path(f: &Field) -> syn::Result<Tokens> {
    let ident = &f.ident;
    let as_path = quote! { ::std::convert::AsRef::<::std::path::Path>::as_ref };
    match f.shape {
        Shape::One => Ok(quote! { paths.push(#as_path(&self.#ident)); }),
        Shape::Optional => Ok(quote! {
            if let ::std::option::Option::Some(p) = &self.#ident { paths.push(#as_path(p)); }
        }),
        _ => Err(syn::Error::new(
            ident.span(),
            "`#[kpipe(output)]` marks one path (a `PathBuf` or `Option<PathBuf>` field)",
        )),
    }
}
