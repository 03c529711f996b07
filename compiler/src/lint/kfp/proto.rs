//! A minimal reader of the vendored `.proto` files: messages, their fields
//! (scalar, message, enum, map, repeated, oneof) and enums. Enough to check a
//! document's keys and value kinds the way protobuf's JSON parser does; not a
//! general protobuf compiler (no services, extensions or proto2 groups).
//!
//! Field names: proto JSON accepts a field's `json_name` (lowerCamelCase of
//! the field name, what KFP writes) and its original snake_case name (what
//! both `json_format.ParseDict` and Go's `protojson` also accept), so both are
//! known keys here.

use std::collections::BTreeMap;

/// The scalar kinds of proto3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scalar {
    String,
    Bytes,
    Bool,
    /// 32-bit integers: JSON numbers (or numeric strings).
    Int32,
    /// 64-bit integers: JSON strings (or numbers).
    Int64,
    /// `double` and `float`.
    Float,
}

impl Scalar {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => Self::String,
            "bytes" => Self::Bytes,
            "bool" => Self::Bool,
            "int32" | "uint32" | "sint32" | "fixed32" | "sfixed32" => Self::Int32,
            "int64" | "uint64" | "sint64" | "fixed64" | "sfixed64" => Self::Int64,
            "double" | "float" => Self::Float,
            _ => return None,
        })
    }
}

/// The type of a field's value (of one element, for repeated fields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FieldType {
    Scalar(Scalar),
    /// A message or enum by its full name (`ml_pipelines.PipelineTaskSpec`),
    /// or a well-known type (`google.protobuf.Struct`).
    Named(String),
    Map(Scalar, Box<FieldType>),
}

/// One field of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) json_name: String,
    pub(crate) ty: FieldType,
    pub(crate) repeated: bool,
    pub(crate) oneof: Option<String>,
}

/// Messages and enums by full name.
#[derive(Debug, Default)]
pub(crate) struct Schema {
    pub(crate) messages: BTreeMap<String, Vec<Field>>,
    pub(crate) enums: BTreeMap<String, Vec<String>>,
}

impl Schema {
    /// Parses `files` (proto text each) into one schema and resolves every
    /// type reference.
    pub(crate) fn parse(files: &[&str]) -> Result<Self, String> {
        let mut schema = Schema::default();
        let mut unresolved: Vec<(String, usize, String)> = Vec::new();
        for text in files {
            let tokens = tokenize(text)?;
            let mut p = Parser {
                tokens,
                pos: 0,
                package: String::new(),
            };
            p.file(&mut schema, &mut unresolved)?;
        }
        for (message, index, scope) in unresolved {
            let field = schema
                .messages
                .get(&message)
                .and_then(|f| f.get(index))
                .cloned();
            let Some(mut field) = field else { continue };
            field.ty = schema
                .resolve(&field.ty, &scope)
                .map_err(|name| format!("{message}.{}: unknown type `{name}`", field.name))?;
            if let Some(f) = schema
                .messages
                .get_mut(&message)
                .and_then(|f| f.get_mut(index))
            {
                *f = field;
            }
        }
        Ok(schema)
    }

    /// Resolves a relative type name the way protoc does: innermost scope
    /// first, then each enclosing scope, then as a full name.
    fn resolve(&self, ty: &FieldType, scope: &str) -> Result<FieldType, String> {
        match ty {
            FieldType::Scalar(_) => Ok(ty.clone()),
            FieldType::Map(k, v) => Ok(FieldType::Map(*k, Box::new(self.resolve(v, scope)?))),
            FieldType::Named(name) => {
                if name.starts_with("google.") {
                    return Ok(ty.clone());
                }
                let mut prefix = scope.to_owned();
                loop {
                    let candidate = if prefix.is_empty() {
                        name.clone()
                    } else {
                        format!("{prefix}.{name}")
                    };
                    if self.messages.contains_key(&candidate) || self.enums.contains_key(&candidate)
                    {
                        return Ok(FieldType::Named(candidate));
                    }
                    if prefix.is_empty() {
                        return Err(name.clone());
                    }
                    prefix = prefix
                        .rsplit_once('.')
                        .map_or(String::new(), |(p, _)| p.to_owned());
                }
            }
        }
    }

    /// The field of message `message` named `key` (JSON or original name).
    pub(crate) fn field(&self, message: &str, key: &str) -> Option<&Field> {
        self.messages
            .get(message)?
            .iter()
            .find(|f| f.json_name == key || f.name == key)
    }
}

/// lowerCamelCase as protoc derives `json_name`.
fn json_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '"' || c == '\'' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            tokens.push(chars[start..i.min(chars.len())].iter().collect());
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_.-".contains(chars[i]))
            {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if "{}[]()<>=;,".contains(c) {
            tokens.push(c.to_string());
            i += 1;
        } else {
            return Err(format!("unexpected character `{c}` in a .proto file"));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<String>,
    pos: usize,
    package: String,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Result<String, String> {
        let t = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or_else(|| "unexpected end of a .proto file".to_owned())?;
        self.pos += 1;
        Ok(t)
    }

    fn expect(&mut self, want: &str) -> Result<(), String> {
        let got = self.next()?;
        if got == want {
            Ok(())
        } else {
            Err(format!("expected `{want}`, found `{got}` in a .proto file"))
        }
    }

    /// Skips to the end of a statement (`;`), or past a `{ … }` block.
    fn skip_statement(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.next()?.as_str() {
                ";" if depth == 0 => return Ok(()),
                "{" => depth += 1,
                "}" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    fn file(
        &mut self,
        schema: &mut Schema,
        unresolved: &mut Vec<(String, usize, String)>,
    ) -> Result<(), String> {
        while let Some(t) = self.peek() {
            match t {
                "package" => {
                    self.next()?;
                    self.package = self.next()?;
                    self.expect(";")?;
                }
                "message" => {
                    let scope = self.package.clone();
                    self.message(&scope, schema, unresolved)?;
                }
                "enum" => {
                    let scope = self.package.clone();
                    self.enumeration(&scope, schema)?;
                }
                _ => self.skip_statement()?,
            }
        }
        Ok(())
    }

    fn message(
        &mut self,
        scope: &str,
        schema: &mut Schema,
        unresolved: &mut Vec<(String, usize, String)>,
    ) -> Result<(), String> {
        self.expect("message")?;
        let name = format!("{scope}.{}", self.next()?);
        self.expect("{")?;
        schema.messages.entry(name.clone()).or_default();
        let mut oneof: Option<String> = None;
        loop {
            let Some(t) = self.peek() else {
                return Err(format!("message {name} is not closed"));
            };
            match t {
                "}" => {
                    self.next()?;
                    if oneof.take().is_none() {
                        return Ok(());
                    }
                }
                "message" => self.message(&name, schema, unresolved)?,
                "enum" => self.enumeration(&name, schema)?,
                "oneof" => {
                    self.next()?;
                    oneof = Some(self.next()?);
                    self.expect("{")?;
                }
                "option" | "reserved" | "extensions" => self.skip_statement()?,
                _ => {
                    let field = self.field(oneof.clone())?;
                    let fields = schema.messages.entry(name.clone()).or_default();
                    unresolved.push((name.clone(), fields.len(), name.clone()));
                    fields.push(field);
                }
            }
        }
    }

    fn field(&mut self, oneof: Option<String>) -> Result<Field, String> {
        let mut t = self.next()?;
        let mut repeated = false;
        if t == "repeated" || t == "optional" {
            repeated = t == "repeated";
            t = self.next()?;
        }
        let ty = if t == "map" {
            self.expect("<")?;
            let k = self.next()?;
            self.expect(",")?;
            let v = self.next()?;
            self.expect(">")?;
            let key = Scalar::parse(&k).ok_or_else(|| format!("map key type `{k}`"))?;
            FieldType::Map(key, Box::new(named(&v)))
        } else {
            named(&t)
        };
        let name = self.next()?;
        self.expect("=")?;
        self.next()?;
        if self.peek() == Some("[") {
            while self.next()? != "]" {}
        }
        self.expect(";")?;
        Ok(Field {
            json_name: json_name(&name),
            name,
            ty,
            repeated,
            oneof,
        })
    }

    fn enumeration(&mut self, scope: &str, schema: &mut Schema) -> Result<(), String> {
        self.expect("enum")?;
        let name = format!("{scope}.{}", self.next()?);
        self.expect("{")?;
        let mut values = Vec::new();
        loop {
            match self.peek() {
                None => return Err(format!("enum {name} is not closed")),
                Some("}") => {
                    self.next()?;
                    break;
                }
                Some("option" | "reserved") => self.skip_statement()?,
                Some(_) => {
                    values.push(self.next()?);
                    self.skip_statement()?;
                }
            }
        }
        schema.enums.insert(name, values);
        Ok(())
    }
}

fn named(t: &str) -> FieldType {
    match Scalar::parse(t) {
        Some(s) => FieldType::Scalar(s),
        None => FieldType::Named(t.trim_start_matches('.').to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_messages_maps_oneofs_and_enums() {
        let text = r#"
            syntax = "proto3";
            package p;
            import "google/protobuf/struct.proto";
            // A comment { with braces }
            message Outer {
              /* block */ message Inner { string some_name = 1 [deprecated = true]; }
              enum Kind { KIND_UNSPECIFIED = 0; BIG = 1; }
              map<string, Inner> inners = 1;
              oneof choice { Inner one = 2; int64 two = 3; }
              repeated Kind kinds = 4;
              google.protobuf.Struct any = 5;
              reserved 6, 7;
              optional bool pipelineConfig = 8;
            }
        "#;
        let s = Schema::parse(&[text]).unwrap_or_default();
        let inners = s.field("p.Outer", "inners").map(|f| f.ty.clone());
        assert_eq!(
            inners,
            Some(FieldType::Map(
                Scalar::String,
                Box::new(FieldType::Named("p.Outer.Inner".into()))
            ))
        );
        assert_eq!(
            s.field("p.Outer", "two").and_then(|f| f.oneof.clone()),
            Some("choice".into())
        );
        assert_eq!(
            s.field("p.Outer", "one").map(|f| f.oneof.is_some()),
            Some(true)
        );
        assert_eq!(s.field("p.Outer", "kinds").map(|f| f.repeated), Some(true));
        assert!(s.field("p.Outer.Inner", "someName").is_some());
        assert!(s.field("p.Outer.Inner", "some_name").is_some());
        assert!(s.field("p.Outer", "pipelineConfig").is_some());
        assert_eq!(s.enums.get("p.Outer.Kind").map(Vec::len), Some(2));
    }

    #[test]
    fn unknown_types_are_errors() {
        let err = Schema::parse(&["package p; message M { Missing m = 1; }"]).err();
        assert_eq!(err.as_deref(), Some("p.M.m: unknown type `Missing`"));
    }

    #[test]
    fn reads_the_vendored_kfp_protos() {
        let s = Schema::parse(&[
            include_str!("../../../schemas/kfp/pipeline_spec.proto"),
            include_str!("../../../schemas/kfp/kubernetes_executor_config.proto"),
        ])
        .unwrap_or_default();
        let sav = s.field("kfp_kubernetes.SecretAsVolume", "secretNameParameter");
        assert_eq!(
            sav.map(|f| f.ty.clone()),
            Some(FieldType::Named(
                "ml_pipelines.TaskInputsSpec.InputParameterSpec".into()
            ))
        );
        assert!(
            s.field("ml_pipelines.PipelineTaskSpec", "retryPolicy")
                .is_some()
        );
        assert!(
            s.field("kfp_kubernetes.SecretAsVolume", "defaultMode")
                .is_none(),
            "KFP 2.17 has no secret defaultMode"
        );
    }
}
