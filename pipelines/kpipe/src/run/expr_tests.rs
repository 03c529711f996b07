//! The `when` parser: one row per operator, per precedence rule and per
//! error (with its exact text), then property tests (arbitrary strings never
//! panic and every error names the expression; generated expressions agree
//! with a reference evaluator; deep nesting is refused, not a stack
//! overflow). `KPIPE_FUZZ_CASES=N` runs N cases per property (64 by default;
//! `steps/benches/fuzz.sh` runs 20,000).

use proptest::prelude::*;

use super::{MAX_DEPTH, evaluate};

/// `Ok(value)` or `Err(the whole error chain, as `{:#}` prints it)`.
fn eval(expr: &str) -> Result<bool, String> {
    evaluate(expr).map_err(|e| format!("{e:#}"))
}

fn table(rows: &[(&str, Result<bool, &str>)]) {
    for (expr, want) in rows {
        let want = want.map_err(str::to_owned);
        assert_eq!(eval(expr), want, "`{expr}`");
    }
}

#[test]
fn evaluates_what_kpipe_emits() {
    assert_eq!(evaluate("'' == ''").ok(), Some(true));
    assert_eq!(evaluate("'123' == ''").ok(), Some(false));
    assert_eq!(
        evaluate("(('a' == 'a') && (!(3 > 4))) || ('x' != 'x')").ok(),
        Some(true)
    );
    assert_eq!(evaluate("10 >= 9.5 && true").ok(), Some(true));
    assert!(evaluate("'a' ==").is_err());
    assert!(evaluate("'unterminated").is_err());
    assert!(evaluate("'a'").is_err());
}

#[test]
fn literals() {
    table(&[
        ("true", Ok(true)),
        ("false", Ok(false)),
        // A quoted or bare `true`/`false` is a condition too (substituted
        // parameters arrive as text).
        ("'true'", Ok(true)),
        ("\"false\"", Ok(false)),
        ("( true )", Ok(true)),
        // Any whitespace separates tokens, CR included.
        ("\t'a' ==\r\n'a' ", Ok(true)),
        // Bare words are strings; so are `nan` and `inf` (not numbers).
        ("prod == 'prod'", Ok(true)),
        ("nan == 'nan'", Ok(true)),
        ("inf == 'inf'", Ok(true)),
        ("-1.5e1 == -15", Ok(true)),
    ]);
}

#[test]
fn each_operator() {
    table(&[
        // ==
        ("'a' == 'a'", Ok(true)),
        ("'a' == 'b'", Ok(false)),
        ("2 == 2.0", Ok(true)),
        ("true == false", Ok(false)),
        // !=
        ("'a' != 'b'", Ok(true)),
        ("\"a\" != 'a'", Ok(false)),
        ("1 != 1", Ok(false)),
        // <, <=, >, >=: numbers numerically, strings by their text.
        ("9 < 10", Ok(true)),
        ("'9' < '10'", Ok(false)),
        ("10 < 10", Ok(false)),
        ("10 <= 10", Ok(true)),
        ("11 <= 10", Ok(false)),
        ("10 > 9", Ok(true)),
        ("'b' > 'a'", Ok(true)),
        ("9 >= 9", Ok(true)),
        ("8 >= 9", Ok(false)),
        ("false < true", Ok(true)),
        // Mixed types compare by their text (so `1 == '1'`, but `1.0`
        // prints as `1`).
        ("1 == '1'", Ok(true)),
        ("1.0 == '1.0'", Ok(false)),
        ("true == 'true'", Ok(true)),
        // &&
        ("true && true", Ok(true)),
        ("true && false", Ok(false)),
        ("false && true", Ok(false)),
        ("false && false", Ok(false)),
        // ||
        ("true || false", Ok(true)),
        ("false || true", Ok(true)),
        ("false || false", Ok(false)),
        ("true || true", Ok(true)),
        // !
        ("!true", Ok(false)),
        ("!false", Ok(true)),
        ("!!true", Ok(true)),
        ("!(1 > 2)", Ok(true)),
        // ( )
        ("((true))", Ok(true)),
        ("('a' == 'a')", Ok(true)),
    ]);
}

#[test]
fn precedence() {
    table(&[
        // && binds tighter than ||, on either side.
        ("true || true && false", Ok(true)),
        ("false && true || true", Ok(true)),
        ("true || false && false", Ok(true)),
        // Parentheses override it.
        ("(true || true) && false", Ok(false)),
        // Comparisons bind tighter than && and ||.
        ("1 < 2 && 2 < 3", Ok(true)),
        ("1 > 2 || 'a' == 'a'", Ok(true)),
        ("'a' == 'b' || 'c' == 'c' && 1 == 2", Ok(false)),
        // ! binds tighter than a comparison: `!'x' == 'x'` is `(!'x') == 'x'`.
        (
            "!'x' == 'x'",
            Err("cannot evaluate `!'x' == 'x'`: `x` is not a boolean"),
        ),
        ("!(true == false)", Ok(true)),
        ("!true == false", Ok(true)),
        // ... and tighter than && and ||.
        ("!false && false", Ok(false)),
        ("!true || true", Ok(true)),
        // && and || associate to the left and short-circuit: the right side
        // is only checked when the left does not decide.
        ("true && true && false", Ok(false)),
        ("false || false || true", Ok(true)),
        ("true || 'x'", Ok(true)),
        ("false && 'x'", Ok(false)),
        (
            "false || 'x'",
            Err("cannot evaluate `false || 'x'`: `x` is not a boolean"),
        ),
        // Comparisons do not chain.
        (
            "1 < 2 < 3",
            Err("cannot evaluate `1 < 2 < 3`: unexpected `<` after a complete expression"),
        ),
    ]);
}

#[test]
fn each_error() {
    table(&[
        ("", Err("cannot evaluate ``: the expression is empty")),
        (
            " \t\n",
            Err("cannot evaluate ` \t\n`: the expression is empty"),
        ),
        (
            "'unterminated",
            Err("unterminated string in `'unterminated`"),
        ),
        ("'a' == \"b", Err("unterminated string in `'a' == \"b`")),
        (
            "'a' = 'a'",
            Err("unexpected `=` at character 5 of `'a' = 'a'` (did you mean `==`?)"),
        ),
        (
            "true & true",
            Err("unexpected `&` at character 6 of `true & true` (did you mean `&&`?)"),
        ),
        (
            "true | false",
            Err("unexpected `|` at character 6 of `true | false` (did you mean `||`?)"),
        ),
        (
            "'a' ==",
            Err("cannot evaluate `'a' ==`: expected a value at the end"),
        ),
        (
            "&& true",
            Err("cannot evaluate `&& true`: expected a value, found `&&`"),
        ),
        (
            "()",
            Err("cannot evaluate `()`: expected a value, found `)`"),
        ),
        (
            "(true",
            Err("cannot evaluate `(true`: missing `)` at the end"),
        ),
        (
            "(true 'x'",
            Err("cannot evaluate `(true 'x'`: missing `)`: found `'x'`"),
        ),
        (
            "true)",
            Err("cannot evaluate `true)`: unexpected `)` after a complete expression"),
        ),
        (
            "true false",
            Err("cannot evaluate `true false`: unexpected `false` after a complete expression"),
        ),
        ("'a'", Err("`'a'` is not a condition: `a` is not a boolean")),
        ("3", Err("`3` is not a condition: `3` is not a boolean")),
        (
            "1 && true",
            Err("cannot evaluate `1 && true`: `1` is not a boolean"),
        ),
        ("!'x'", Err("cannot evaluate `!'x'`: `x` is not a boolean")),
    ]);
}

#[test]
fn nesting_is_bounded() {
    let nested = |n: usize| format!("{}true{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(eval(&nested(MAX_DEPTH)), Ok(true));
    let deep = nested(MAX_DEPTH + 1);
    assert_eq!(
        eval(&deep),
        Err(format!(
            "cannot evaluate `{deep}`: nested more than {MAX_DEPTH} levels deep"
        ))
    );
    // Far past the limit: an error, not a stack overflow.
    assert!(eval(&"!".repeat(100_000)).is_err());
    assert!(eval(&"(".repeat(100_000)).is_err());
}

/// Cases per property: 64 in the suite, `KPIPE_FUZZ_CASES` for long runs.
fn config() -> ProptestConfig {
    let cases = std::env::var("KPIPE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A generated condition and what it must evaluate to.
#[derive(Clone, Debug)]
enum Cond {
    Bool(bool),
    NumCmp(i32, &'static str, i32),
    StrCmp(String, &'static str, String),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

impl Cond {
    fn value(&self) -> bool {
        fn cmp<T: PartialOrd>(a: T, op: &str, b: T) -> bool {
            match op {
                "==" => a == b,
                "!=" => a != b,
                "<" => a < b,
                "<=" => a <= b,
                ">" => a > b,
                _ => a >= b,
            }
        }
        match self {
            Cond::Bool(b) => *b,
            Cond::NumCmp(a, op, b) => cmp(a, op, b),
            Cond::StrCmp(a, op, b) => cmp(a, op, b),
            Cond::Not(c) => !c.value(),
            Cond::And(a, b) => a.value() && b.value(),
            Cond::Or(a, b) => a.value() || b.value(),
        }
    }

    /// With the fewest parentheses the precedence rules allow, and `ws`
    /// between tokens.
    fn render(&self, ws: &str) -> String {
        // Binding strength: || 1, && 2, comparison and literal 3, ! 4.
        fn wrap(c: &Cond, at_least: u8, ws: &str) -> String {
            let strength = match c {
                Cond::Or(..) => 1,
                Cond::And(..) => 2,
                Cond::Not(..) => 4,
                _ => 3,
            };
            if strength < at_least {
                format!("({ws}{}{ws})", c.render(ws))
            } else {
                c.render(ws)
            }
        }
        match self {
            Cond::Bool(b) => b.to_string(),
            Cond::NumCmp(a, op, b) => format!("{a}{ws}{op}{ws}{b}"),
            Cond::StrCmp(a, op, b) => format!("'{a}'{ws}{op}{ws}\"{b}\""),
            // `!` applies to one operand: a literal, a `!` or parentheses.
            Cond::Not(c) => format!("!{ws}{}", wrap(c, 4, ws)),
            Cond::And(a, b) => format!("{}{ws}&&{ws}{}", wrap(a, 2, ws), wrap(b, 3, ws)),
            Cond::Or(a, b) => format!("{}{ws}||{ws}{}", wrap(a, 1, ws), wrap(b, 2, ws)),
        }
    }
}

fn comparison() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="])
}

fn cond() -> impl Strategy<Value = Cond> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Cond::Bool),
        (-20i32..20, comparison(), -20i32..20).prop_map(|(a, op, b)| Cond::NumCmp(a, op, b)),
        ("[a-c ]{0,3}", comparison(), "[a-c ]{0,3}").prop_map(|(a, op, b)| Cond::StrCmp(a, op, b)),
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Cond::Not(Box::new(c))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Cond::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| Cond::Or(Box::new(a), Box::new(b))),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    /// Any text: no panic, and an error names the expression.
    #[test]
    fn arbitrary_text_never_panics(expr in prop_oneof![
        any::<String>(),
        // Mostly the expression alphabet, so the parser gets past the lexer.
        "[ \t\r\n()'\"=!<>&|a-c0-9.eE+-]{0,40}",
        "(true|false|'x'|1|==|!=|<=|>=|<|>|&&|\\|\\||!|\\(|\\)| ){0,20}",
    ]) {
        if let Err(e) = evaluate(&expr) {
            let e = format!("{e:#}");
            prop_assert!(e.contains(&expr), "the error `{e}` does not name `{expr}`");
        }
    }

    /// Well-formed conditions evaluate to what the precedence rules say.
    #[test]
    fn generated_conditions_agree(c in cond(), ws in prop::sample::select(vec!["", " ", "\t", "\n  ", " \r\n"])) {
        let text = c.render(ws);
        prop_assert_eq!(eval(&text), Ok(c.value()), "`{}`", text);
        // Fully parenthesised, the same.
        let wrapped = format!("({text})");
        prop_assert_eq!(eval(&wrapped), Ok(c.value()));
    }

    /// `(` and `!` nested to any depth: an answer within the limit, an
    /// error past it, never a stack overflow.
    #[test]
    fn deep_nesting_is_an_error(opens in prop::collection::vec(any::<bool>(), 0..2000)) {
        let mut text = String::new();
        for &paren in &opens {
            text.push_str(if paren { "(" } else { "!" });
        }
        text.push_str("true");
        text.push_str(&")".repeat(opens.iter().filter(|p| **p).count()));
        let got = eval(&text);
        if opens.len() <= MAX_DEPTH {
            let nots = opens.iter().filter(|p| !**p).count();
            prop_assert_eq!(got, Ok(nots % 2 == 0));
        } else {
            prop_assert!(got.is_err());
        }
    }
}
