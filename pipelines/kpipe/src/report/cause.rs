//! What a failed step's log says went wrong, for the failure box at the top
//! of the report: the panic or error message first, whatever
//! `RUST_BACKTRACE` added after it.
//!
//! A Rust program that panics prints `thread '…' (ID) panicked at FILE:LINE:COL:`
//! and the message, then (with `RUST_BACKTRACE=1`) `stack backtrace:` and
//! dozens of frames; one whose `main` returns an `anyhow` error prints
//! `Error: …`, its `Caused by:` chain and (with `RUST_BACKTRACE=1`) `Stack
//! backtrace:`. The log's last lines are then frames, so the box shows the
//! message instead, and the frames stay in the log one click away. A log
//! with neither shows its last lines, as before.

/// The lines of `log` that say why the step failed: its last panic or
/// `Error:`/`error:` message with what belongs to it, else its last `n`
/// lines; backtraces left out either way. At most `n` lines, plus a line
/// that says how many more the log has.
pub(crate) fn excerpt(log: &str, n: usize) -> String {
    let lines = without_backtraces(log);
    let shown: Vec<&str> = match lines.iter().rposition(|l| is_cause(l)) {
        Some(at) => message(&lines[at..]),
        None => lines[lines.len().saturating_sub(n)..].to_vec(),
    };
    let mut out: Vec<String> = shown.iter().take(n).map(|l| (*l).to_owned()).collect();
    if shown.len() > n {
        out.push(format!("… ({} more lines in the log)", shown.len() - n));
    }
    out.join("\n")
}

/// The line that starts a panic or an error report.
fn is_cause(line: &str) -> bool {
    // (`thread 'main' panicked at …`; newer Rust adds the thread's id:
    // `thread 'main' (4268) panicked at …`)
    (line.starts_with("thread '") && line.contains(" panicked at "))
        || line.starts_with("Error: ")
        || line.starts_with("error: ")
}

/// The message that starts `lines[0]`: up to a blank line, a note, or the
/// end; an `anyhow` chain (`Caused by:` after a blank line) included.
fn message<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if i > 0 && (line.starts_with("note: ") || is_cause(line)) {
            break;
        }
        if line.trim().is_empty() {
            let next = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
            if next.is_none_or(|l| *l != "Caused by:") {
                break;
            }
        }
        out.push(line);
        i += 1;
    }
    out
}

/// `log`'s lines less every backtrace: a `stack backtrace:` (a panic's) or
/// `Stack backtrace:` (an `anyhow` error's) line, the frames after it (`  0:
/// …` and their `at FILE` lines), and the `note:` that ends a short one.
fn without_backtraces(log: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_trace = false;
    for line in log.lines() {
        if line == "stack backtrace:" || line == "Stack backtrace:" {
            in_trace = true;
            continue;
        }
        if in_trace {
            let t = line.trim_start();
            let frame = t
                .split_once(':')
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if frame || t.starts_with("at ") || line.is_empty() {
                continue;
            }
            in_trace = false;
            if line.starts_with("note: Some details are omitted") {
                continue;
            }
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a Rust step that panics prints under `RUST_BACKTRACE=1`.
    const PANIC: &str = "\
loading data
thread 'main' (4268) panicked at src/steps.rs:42:9:
the data set has no rows
stack backtrace:
   0: __rustc::rust_begin_unwind
             at /rustc/17067e9ac6d7e98f18d4e4e2b7c8d9d3bc3e1a3e/library/std/src/panicking.rs:697:5
   1: core::panicking::panic_fmt
             at /rustc/17067e9ac6d7e98f18d4e4e2b7c8d9d3bc3e1a3e/library/core/src/panicking.rs:75:14
   2: app::steps::fit
             at ./src/steps.rs:42:9
   3: core::ops::function::FnOnce::call_once
             at /rustc/17067e9ac6d7e98f18d4e4e2b7c8d9d3bc3e1a3e/library/core/src/ops/function.rs:250:5
note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.
";

    #[test]
    fn a_panic_leads_and_its_backtrace_goes() {
        assert_eq!(
            excerpt(PANIC, 5),
            "thread 'main' (4268) panicked at src/steps.rs:42:9:\nthe data set has no rows"
        );
        let plain = "thread 'main' panicked at src/a.rs:1:1:\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            excerpt(plain, 5),
            "thread 'main' panicked at src/a.rs:1:1:\nboom"
        );
    }

    #[test]
    fn an_anyhow_error_keeps_its_chain_and_loses_its_backtrace() {
        let log = "\
step output
Error: cannot read data.csv

Caused by:
    No such file or directory (os error 2)

Stack backtrace:
   0: anyhow::error::<impl anyhow::Error>::msg
             at /cargo/anyhow-1.0.100/src/error.rs:83:36
   1: app::main
             at ./src/main.rs:3:5
";
        assert_eq!(
            excerpt(log, 5),
            "Error: cannot read data.csv\n\nCaused by:\n    No such file or directory (os error 2)"
        );
    }

    #[test]
    fn a_long_message_is_cut_and_a_log_without_one_shows_its_tail() {
        let long: String = std::iter::once("error: it broke".to_owned())
            .chain((1..=9).map(|i| format!("detail {i}")))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            excerpt(&long, 3),
            "error: it broke\ndetail 1\ndetail 2\n… (7 more lines in the log)"
        );
        let plain = "one\ntwo\nthree\nfour\n";
        assert_eq!(excerpt(plain, 2), "three\nfour");
        assert_eq!(excerpt("", 5), "");
    }
}
