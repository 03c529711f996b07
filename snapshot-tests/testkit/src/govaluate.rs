//! A test oracle for Argo's `when`: the govaluate subset kpipe emits —
//! quoted strings, numbers, booleans, `==`, `!=`, `<`, `<=`, `>`, `>=`,
//! `&&`, `||`, `!` and parentheses — evaluated as govaluate does (numbers as
//! float64, strings compared byte-wise). The shared semantics tests evaluate
//! the Argo lowering's conditions with it, after substituting `{{…}}` the
//! way Argo does, and compare with `Cond::evaluate`. kpipe itself never
//! parses the Argo text it writes.

macro_rules! bail {
    ($($t:tt)*) => {
        return Err(format!($($t)*))
    };
}

type Result<T> = std::result::Result<T, String>;

trait Context<T> {
    fn context(self, what: &str) -> Result<T>;
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: &str) -> Result<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| format!("{}: {e}", what()))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: &str) -> Result<T> {
        self.ok_or_else(|| what.to_owned())
    }
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(what)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Str(String),
    Num(f64),
    Bool(bool),
    Op(&'static str),
    Open,
    Close,
}

fn lex(s: &str) -> Result<Vec<Tok>> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            '\'' | '"' => {
                let q = c;
                let mut j = i + 1;
                let mut lit = String::new();
                while j < chars.len() && chars[j] != q {
                    lit.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    bail!("unterminated string in `{s}`");
                }
                out.push(Tok::Str(lit));
                i = j + 1;
            }
            _ => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                let op = ["==", "!=", "<=", ">=", "&&", "||"]
                    .into_iter()
                    .find(|o| *o == two);
                if let Some(op) = op {
                    out.push(Tok::Op(op));
                    i += 2;
                    continue;
                }
                if let Some(op) = ["<", ">", "!"].into_iter().find(|o| o.starts_with(c)) {
                    out.push(Tok::Op(op));
                    i += 1;
                    continue;
                }
                if let Some(op) = [('=', "=="), ('&', "&&"), ('|', "||")]
                    .into_iter()
                    .find_map(|(one, two)| (one == c).then_some(two))
                {
                    bail!(
                        "unexpected `{c}` at character {} of `{s}` (did you mean `{op}`?)",
                        i + 1
                    );
                }
                let mut j = i;
                while j < chars.len() && !chars[j].is_whitespace() && !"()=!<>&|".contains(chars[j])
                {
                    j += 1;
                }
                let word: String = chars[i..j].iter().collect();
                out.push(match word.as_str() {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    // Digits, signs, points and exponents only: `nan` and
                    // `inf` are words (strings), as in govaluate.
                    w if w.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) => {
                        match w.parse::<f64>() {
                            Ok(n) => Tok::Num(n),
                            Err(_) => Tok::Str(w.to_owned()),
                        }
                    }
                    w => Tok::Str(w.to_owned()),
                });
                i = j;
            }
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq)]
enum Val {
    Str(String),
    Num(f64),
    Bool(bool),
}

impl std::fmt::Display for Tok {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Str(s) => write!(f, "'{s}'"),
            Tok::Num(n) => write!(f, "{n}"),
            Tok::Bool(b) => write!(f, "{b}"),
            Tok::Op(op) => f.write_str(op),
            Tok::Open => f.write_str("("),
            Tok::Close => f.write_str(")"),
        }
    }
}

/// How deep `(` and `!` may nest: the parser recurses, and a hostile
/// expression must not overflow the stack.
const MAX_DEPTH: usize = 256;

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Val> {
        let mut v = self.and()?;
        while self.peek() == Some(&Tok::Op("||")) {
            self.pos += 1;
            let r = self.and()?;
            v = Val::Bool(truthy(&v)? || truthy(&r)?);
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<Val> {
        let mut v = self.cmp()?;
        while self.peek() == Some(&Tok::Op("&&")) {
            self.pos += 1;
            let r = self.cmp()?;
            v = Val::Bool(truthy(&v)? && truthy(&r)?);
        }
        Ok(v)
    }

    fn cmp(&mut self) -> Result<Val> {
        let l = self.unary()?;
        let op = match self.peek() {
            Some(Tok::Op(op)) if ["==", "!=", "<", "<=", ">", ">="].contains(op) => *op,
            _ => return Ok(l),
        };
        self.pos += 1;
        let r = self.unary()?;
        let ord = match (&l, &r) {
            (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
            (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
            (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
            (a, b) => Some(show(a).cmp(&show(b))),
        }
        .context("values cannot be compared")?;
        use std::cmp::Ordering::*;
        Ok(Val::Bool(match op {
            "==" => ord == Equal,
            "!=" => ord != Equal,
            "<" => ord == Less,
            "<=" => ord != Greater,
            ">" => ord == Greater,
            _ => ord != Less,
        }))
    }

    /// Enters one level of `(` or `!`, refusing to nest past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            bail!("nested more than {MAX_DEPTH} levels deep");
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn unary(&mut self) -> Result<Val> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Op("!")) => {
                self.pos += 1;
                let v = self.nested(Self::unary)?;
                Ok(Val::Bool(!truthy(&v)?))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let v = self.nested(Self::or)?;
                match self.peek() {
                    Some(Tok::Close) => {}
                    Some(t) => bail!("missing `)`: found `{t}`"),
                    None => bail!("missing `)` at the end"),
                }
                self.pos += 1;
                Ok(v)
            }
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Val::Str(s))
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(Val::Num(n))
            }
            Some(Tok::Bool(b)) => {
                self.pos += 1;
                Ok(Val::Bool(b))
            }
            Some(t) => bail!("expected a value, found `{t}`"),
            None => bail!("expected a value at the end"),
        }
    }
}

fn show(v: &Val) -> String {
    match v {
        Val::Str(s) => s.clone(),
        Val::Num(n) => n.to_string(),
        Val::Bool(b) => b.to_string(),
    }
}

fn truthy(v: &Val) -> Result<bool> {
    match v {
        Val::Bool(b) => Ok(*b),
        Val::Str(s) if s == "true" || s == "false" => Ok(s == "true"),
        other => bail!("`{}` is not a boolean", show(other)),
    }
}

/// Evaluates a `when` expression whose `{{…}}` references are substituted.
pub fn evaluate(expr: &str) -> Result<bool> {
    let toks = lex(expr)?;
    if toks.is_empty() {
        bail!("cannot evaluate `{expr}`: the expression is empty");
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let v = p
        .or()
        .with_context(|| format!("cannot evaluate `{expr}`"))?;
    if let Some(t) = p.peek() {
        bail!("cannot evaluate `{expr}`: unexpected `{t}` after a complete expression");
    }
    truthy(&v).with_context(|| format!("`{expr}` is not a condition"))
}

/// Substitutes Argo's `{{…}}` references in `text` from `values` (the way
/// the workflow controller does before it evaluates a `when`).
pub fn substitute(text: &str, values: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .with_context(|| format!("unclosed `{{{{` in `{text}`"))?;
        let key = after[..end].trim();
        out.push_str(&values(key).with_context(|| format!("`{key}` has no value"))?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_the_subset_kpipe_emits() {
        for (expr, holds) in [
            ("'a' == 'a'", true),
            ("('1' == '1') && (!('x' != 'x'))", true),
            ("10 > 9", true),
            ("'10' > '9'", false),
            ("0.5 == 0.50", true),
            ("(false) || ('b' < 'a')", false),
        ] {
            assert_eq!(evaluate(expr), Ok(holds), "{expr}");
        }
        assert!(evaluate("'a' = 'a'").is_err());
        assert!(evaluate("").is_err());
        assert_eq!(
            substitute("'{{workflow.parameters.pr}}' == ''", &|k| {
                (k == "workflow.parameters.pr").then(|| "7".to_owned())
            }),
            Ok("'7' == ''".to_owned())
        );
    }
}
